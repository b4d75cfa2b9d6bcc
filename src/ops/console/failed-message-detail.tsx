import { useEffect, useRef, useState } from 'preact/hooks';
import { api, FailedMessageDetail as Detail } from './api';
import { CopyButton, curlOf, Id } from './copy';
import { pretty } from './format';
import type { ViewProps } from './main';
import { orderHref } from './router';
import { Time } from './time';
import { useAnswer } from './use-answer';

interface Props extends ViewProps {
  id: string;
  onClose: () => void;
  onChanged: () => void;
}

/** One failed message whole: payload, headers, every attempt's error and the audit trail. */
export function FailedMessageDetail({ id, tick, report, fail, onClose, onChanged }: Props) {
  const [reason, setReason] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);

  const detail = useAnswer(() => api<Detail>('GET', `/admin/failed-messages/${id}`), fail, [id, tick]);
  useEffect(() => heading.current?.focus(), [id]);

  const retry = async () => {
    try {
      await api('POST', `/admin/failed-messages/${id}/retry`);
      report({ kind: 'done', text: `Re-running ${detail?.handler} for message ${detail?.messageId}.` });
      onChanged();
    } catch (error) { fail(error); }
  };
  const discard = async (event: Event) => {
    event.preventDefault();
    try {
      await api('POST', `/admin/failed-messages/${id}/discard`, { reason: reason.trim() });
      report({ kind: 'done', text: `Discarded message ${detail?.messageId}: ${reason.trim()}` });
      setReason('');
      onChanged();
    } catch (error) { fail(error); }
  };

  return (
    <section class="detail" aria-labelledby="detail-title">
      <div class="detail-head">
        <h3 id="detail-title" tabIndex={-1} ref={heading}>Message {detail?.messageId ?? id}</h3>
        <button type="button" onClick={onClose}>Close details</button>
      </div>
      {detail && (
        <>
          <dl class="facts">
            <dt>Failed message</dt><dd><Id kind="failed message" value={detail.id} /></dd>
            <dt>Message id</dt><dd><Id kind="message" value={detail.messageId} /></dd>
            <dt>Status</dt><dd data-testid="detail-status"><span class={`badge ${detail.status.toLowerCase()}`}>{detail.status}</span>{detail.poison && <span class="badge poison">poison: cannot be read, not offered for re-run</span>}</dd>
            <dt>Handler</dt><dd>{detail.handler} (queue {detail.queue})</dd>
            <dt>Routing key</dt><dd>{detail.routingKey ?? '—'}</dd>
            <dt>Order</dt><dd>{detail.orderId ? <Id kind="order" value={detail.orderId} href={orderHref(detail.orderId)} /> : '—'}</dd>
            <dt>First failed</dt><dd><Time at={detail.firstFailedAt} /></dd>
            <dt>Resolved</dt><dd><Time at={detail.resolvedAt} /></dd>
            {detail.discardReason && (<><dt>Discard reason</dt><dd>{detail.discardReason}</dd></>)}
          </dl>
          <div class="toolbar">
            {detail.status === 'FAILED' && !detail.poison && <button type="button" class="primary" onClick={retry}>Retry this message</button>}
            {detail.status === 'FAILED' && !detail.poison && <CopyButton text={curlOf('POST', `/admin/failed-messages/${detail.id}/retry`)} label="Copy a curl command that retries this message">Copy curl (retry)</CopyButton>}
            <CopyButton text={curlOf('GET', `/admin/failed-messages/${detail.id}`)} label="Copy a curl command that gets this message">Copy curl (get)</CopyButton>
          </div>
          {(detail.status === 'FAILED' || detail.status === 'RETRYING') && (
            <form class="discard" onSubmit={discard}>
              <label for="discard-reason">Reason to discard</label>
              <input id="discard-reason" required maxLength={1000} value={reason} onInput={(event) => setReason(event.currentTarget.value)} />
              <button type="submit">Discard</button>
            </form>
          )}
          <h4>Payload <CopyButton text={pretty(detail.payload)} label="Copy the payload" /></h4>
          <pre class="payload" aria-label="Payload">{pretty(detail.payload)}</pre>
          <h4>Headers <CopyButton text={pretty(detail.headers)} label="Copy the headers" /></h4>
          <pre aria-label="Headers">{pretty(detail.headers)}</pre>
          <h4>Attempts</h4>
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">#</th><th scope="col">At</th><th scope="col">Error</th></tr></thead>
              <tbody>
                {detail.errors.map((attempt) => (
                  <tr><td data-label="#">{attempt.attempt}</td><td data-label="At"><Time at={attempt.at} /></td><td data-label="Error"><pre class="inline">{attempt.error}</pre></td></tr>
                ))}
              </tbody>
            </table>
          </div>
          <h4>Audit trail</h4>
          {detail.actions.length === 0 ? <p>No action taken yet.</p> : (
            <ol class="audit">
              {detail.actions.map((action) => (
                <li><Time at={action.at} /> — <b>{action.action}</b> by {action.actor}{action.reason ? `: ${action.reason}` : ''}</li>
              ))}
            </ol>
          )}
        </>
      )}
    </section>
  );
}
