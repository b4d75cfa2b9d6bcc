import { useState } from 'preact/hooks';
import { api, Merchant, RotatedSecret } from './api';
import { localTime } from './format';
import type { ViewProps } from './main';
import { previousSecretValid } from './merchant-terms';
import type { ShownSecret } from './secret-panel';

interface Props extends Pick<ViewProps, 'report' | 'fail' | 'confirm'> {
  merchant: Merchant;
  onRotated: (shown: ShownSecret) => void;
  onChanged: () => void;
}

const HOUR = 3600;
/** The API's bound on the grace period: 30 days. */
const MAX_GRACE_HOURS = 720;

/** Rotate the signing secret with a grace period, or end the overlap of old and new now; both after a confirmation. */
export function MerchantSecretActions({ merchant, report, fail, confirm, onRotated, onChanged }: Props) {
  const [graceHours, setGraceHours] = useState('24');
  const path = `/admin/merchants/${encodeURIComponent(merchant.id)}`;

  const rotate = async (event: Event) => {
    event.preventDefault();
    const hours = Number(graceHours);
    const overlap = hours === 0 ? 'The current secret stops signing at once.' : `The current secret keeps signing beside it for ${hours} h: give the merchant the new one before then.`;
    if (!(await confirm(`Rotate the secret of ${merchant.id}?`, `A new secret is made and shown once. ${overlap}`, 'Rotate secret'))) return;
    try {
      const rotated = await api<RotatedSecret>('POST', `${path}/rotate-secret`, { graceSeconds: Math.round(hours * HOUR) });
      report({ kind: 'done', text: `Rotated the secret of ${merchant.id}.` });
      onRotated({ merchantId: merchant.id, secret: rotated.secret, previousSecretExpiresAt: rotated.previousSecretExpiresAt });
      onChanged();
    } catch (error) { fail(error); }
  };
  const endOverlap = async () => {
    const detail = `Only the current secret signs from now on; the previous one (valid until ${localTime(merchant.previousSecretExpiresAt)}) no longer does.`;
    if (!(await confirm(`End the overlap for ${merchant.id} now?`, detail, 'End overlap'))) return;
    try {
      await api<Merchant>('POST', `${path}/expire-previous-secret`);
      report({ kind: 'done', text: `Only the current secret of ${merchant.id} signs now.` });
      onChanged();
    } catch (error) { fail(error); }
  };

  return (
    <div class="toolbar">
      <form class="inline-form" onSubmit={rotate}>
        <label>Grace period (hours)
          <input type="number" min={0} max={MAX_GRACE_HOURS} step="any" required value={graceHours} onInput={(event) => setGraceHours(event.currentTarget.value)} />
        </label>
        <button type="submit">Rotate secret…</button>
      </form>
      {previousSecretValid(merchant) && <button type="button" onClick={endOverlap}>End overlap now…</button>}
    </div>
  );
}
