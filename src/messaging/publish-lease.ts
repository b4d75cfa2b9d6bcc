import { PUBLISH_TIMEOUT_MS } from '@backstop/transport';

/**
 * How long a row claimed for a publish stays with its claimer (a lease: claim, commit, work, record):
 * longer than a publish may take, so nobody else publishes it meanwhile.
 */
export const PUBLISH_LEASE_MS = 2 * PUBLISH_TIMEOUT_MS;
