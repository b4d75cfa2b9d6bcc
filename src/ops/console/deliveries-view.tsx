import { useState } from 'preact/hooks';
import { api, Delivery, Page, query } from './api';
import type { ViewProps } from './main';
import { Pager, usePager } from './pager';
import { SendOutcome } from './send-outcome';
import { Time } from './time';
import { useAnswer } from './use-answer';
import { useResend } from './use-resend';

const PAGE_SIZE = 50;

interface Filter {
  orderId: string;
  endpoint: string;
  delivered: string;
}

function outcome(row: Delivery): string {
  if (row.delivered === true) return 'delivered';
  if (row.delivered === null) return 'outcome unknown';
  return row.error ?? 'failed';
}

/**
 * Resend is offered on the newest attempt listed of each notification, once its outcome is
 * known; a test event (no order) is not a notification and cannot be sent again.
 */
function resendable(rows: Delivery[]): Set<number> {
  const seen = new Set<string>();
  const offered = new Set<number>();
  for (const row of rows) {
    if (seen.has(row.eventId)) continue;
    seen.add(row.eventId);
    if (row.orderId !== null && row.delivered !== null) offered.add(row.id);
  }
  return offered;
}

/** The merchant notification attempts, newest first, by order, endpoint or outcome; a notification sent again. */
export function DeliveriesView(props: ViewProps) {
  const { tick, fail } = props;
  const [draft, setDraft] = useState<Filter>({ orderId: '', endpoint: '', delivered: '' });
  const [filter, setFilter] = useState<Filter>(draft);
  const [changed, setChanged] = useState(0);
  const pager = usePager();
  const { resend, result } = useResend(props, () => setChanged((count) => count + 1));

  const page = useAnswer(
    () => api<Page<Delivery>>('GET', `/admin/deliveries${query({ ...filter, limit: PAGE_SIZE, cursor: pager.cursor })}`),
    fail,
    [tick, filter, pager.cursor, changed],
  );
  const offered = resendable(page?.items ?? []);

  const search = (event: Event) => {
    event.preventDefault();
    setFilter({ orderId: draft.orderId.trim(), endpoint: draft.endpoint.trim(), delivered: draft.delivered });
    pager.reset();
  };

  return (
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Deliveries</h2>
      <form class="filters" onSubmit={search} role="search">
        <label>Order id <input name="orderId" value={draft.orderId} onInput={(event) => setDraft({ ...draft, orderId: event.currentTarget.value })} /></label>
        <label>Endpoint id <input name="endpoint" value={draft.endpoint} onInput={(event) => setDraft({ ...draft, endpoint: event.currentTarget.value })} /></label>
        <label>Outcome
          <select name="delivered" value={draft.delivered} onChange={(event) => setDraft({ ...draft, delivered: event.currentTarget.value })}>
            <option value="">any</option><option value="true">delivered</option><option value="false">failed</option>
          </select>
        </label>
        <button type="submit" class="primary">Show</button>
      </form>
      <SendOutcome result={result} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr><th scope="col">Time</th><th scope="col">Order</th><th scope="col">#</th><th scope="col">URL</th><th scope="col">HTTP</th><th scope="col">ms</th><th scope="col">Outcome</th><th scope="col">Answer</th><th scope="col">Actions</th></tr>
          </thead>
          <tbody>
            {page?.items.length === 0 && <tr><td colSpan={9}>No deliveries match.</td></tr>}
            {page?.items.map((row) => (
              <tr key={row.id}>
                <td><Time at={row.attemptedAt} /></td>
                <td>{row.orderId ? <code>{row.orderId}</code> : <span class="muted">test event</span>}</td>
                <td>{row.attempt}</td>
                <td class="url">{row.url}</td>
                <td>{row.httpStatus ?? '—'}</td>
                <td>{row.durationMs ?? '—'}</td>
                <td><span class={`badge ${row.delivered ? 'resolved' : row.delivered === null ? 'retrying' : 'failed'}`}>{outcome(row)}</span></td>
                <td>{row.responseSnippet ? <details><summary>snippet</summary><pre class="inline">{row.responseSnippet}</pre></details> : '—'}</td>
                <td>{offered.has(row.id) && <button type="button" onClick={() => resend(row)} aria-label={`Resend notification ${row.eventId}`}>Resend…</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager pager={pager} nextCursor={page?.nextCursor ?? null} label="Deliveries" />
    </section>
  );
}
