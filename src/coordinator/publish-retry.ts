import { PUBLISH_TIMEOUT_MS, PublishReturned } from '@backstop/transport';
import { backoffMs } from '../database/backoff';

const FIRST_RETRY_MS = 500;
/** An event no queue takes waits this long at most between tries: the topology is wrong until someone declares it. */
const RETURNED_MAX_MS = 60_000;

/**
 * How long an event whose publish failed waits before the relay tries it again. A confirm
 * that did not come or a refusal (a node lost, a queue electing a leader, an alarm) is the
 * broker's passing trouble: the wait stays within one publish timeout, so the events go
 * out within seconds of the broker being well again, whatever the failures before. An
 * event no queue took backs off for up to a minute.
 */
export function publishRetryMs(error: Error, attempts: number): number {
  return backoffMs(attempts, FIRST_RETRY_MS, error instanceof PublishReturned ? RETURNED_MAX_MS : PUBLISH_TIMEOUT_MS);
}
