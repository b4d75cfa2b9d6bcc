import { useEffect, useRef } from 'preact/hooks';
import { api, MerchantDetail as Detail, OpsAction } from './api';
import type { ViewProps } from './main';
import { MerchantSecretActions } from './merchant-secret-actions';
import { MerchantTerms } from './merchant-terms';
import { MerchantTestEvent } from './merchant-test-event';
import type { ShownSecret } from './secret-panel';
import { Time } from './time';
import { useAnswer } from './use-answer';

interface Props extends ViewProps {
  id: string;
  changed: number;
  onClose: () => void;
  onChanged: () => void;
  onRotated: (shown: ShownSecret) => void;
}

function describeDetail(detail: OpsAction['detail']): string {
  if (!detail) return '';
  return Object.entries(detail).map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`).join(', ');
}

/** One merchant: its terms, its secrets' state, rotate, end the overlap, send a test event, and who did what to it lately. */
export function MerchantDetail(props: Props) {
  const { id, tick, changed, fail, onClose, onChanged } = props;
  const heading = useRef<HTMLHeadingElement>(null);
  const merchant = useAnswer(() => api<Detail>('GET', `/admin/merchants/${encodeURIComponent(id)}`), fail, [id, tick, changed]);
  useEffect(() => heading.current?.focus(), [id]);

  return (
    <section class="detail" aria-labelledby="merchant-title">
      <div class="detail-head">
        <h3 id="merchant-title" tabIndex={-1} ref={heading}>Merchant {id}</h3>
        <button type="button" onClick={onClose}>Close details</button>
      </div>
      {merchant && (
        <>
          <MerchantTerms merchant={merchant} />
          <h4>Signing secret</h4>
          <MerchantSecretActions {...props} merchant={merchant} />
          <h4>Test event</h4>
          <MerchantTestEvent key={id} merchantId={id} fail={fail} onSent={onChanged} />
          <h4>Recent ops actions (newest first)</h4>
          {merchant.actions.length === 0 ? <p>No action taken yet.</p> : (
            <ol class="audit" data-testid="merchant-actions">
              {[...merchant.actions].reverse().map((action) => (
                <li><Time at={action.at} /> — <b>{action.action}</b> by {action.actor}<span class="muted">{action.detail ? ` (${describeDetail(action.detail)})` : ''}</span></li>
              ))}
            </ol>
          )}
        </>
      )}
    </section>
  );
}
