import type { Merchant } from './api';
import { Time } from './time';

/** Judged by this browser's clock: the API says until when, not whether. */
export function previousSecretValid(merchant: Merchant): boolean {
  return merchant.previousSecretExpiresAt !== null && Date.parse(merchant.previousSecretExpiresAt) > Date.now();
}

export const originsText = (merchant: Merchant) => merchant.notifyOrigins?.join(', ') ?? 'any';
export const successRuleText = (merchant: Merchant) => merchant.successRule ?? 'default';

/** Whether the previous secret still signs beside the current one, and until when. */
export function PreviousSecret({ merchant }: { merchant: Merchant }) {
  if (!merchant.previousSecretExpiresAt) return <span class="muted">none</span>;
  if (!previousSecretValid(merchant)) return <span class="muted">expired <Time at={merchant.previousSecretExpiresAt} /></span>;
  return <span data-testid="previous-secret"><span class="badge retrying">valid</span> until <Time at={merchant.previousSecretExpiresAt} /></span>;
}

/** A merchant's terms and the state of its secrets, as facts. */
export function MerchantTerms({ merchant }: { merchant: Merchant }) {
  return (
    <dl class="facts">
      <dt>Name</dt><dd>{merchant.name}</dd>
      <dt>Notify origins</dt><dd>{originsText(merchant)}</dd>
      <dt>Events</dt><dd>{merchant.events.join(', ')}</dd>
      <dt>Success rule</dt><dd>{successRuleText(merchant)}</dd>
      <dt>Registered</dt><dd><Time at={merchant.createdAt} /></dd>
      <dt>Secret rotated</dt><dd>{merchant.secretRotatedAt ? <Time at={merchant.secretRotatedAt} /> : 'never'}</dd>
      <dt>Previous secret</dt><dd><PreviousSecret merchant={merchant} /></dd>
    </dl>
  );
}
