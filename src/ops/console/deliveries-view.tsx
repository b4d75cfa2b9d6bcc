import { useEffect, useState } from 'preact/hooks';
import { api, Delivery, DeliveryPage, query } from './api';
import { CopyButton, Id } from './copy';
import { fromLocalInput, toLocalInput } from './format';
import type { ViewProps } from './main';
import { Pager, usePager } from './pager';
import { hrefOf, navigate, orderHref, Route } from './router';
import { SendOutcome } from './send-outcome';
import { Time } from './time';
import { useAnswer } from './use-answer';
import { useResend } from './use-resend';

const PAGE_SIZE = 50;

/** As the URL and the API have it: `from` and `to` are ISO 8601 instants. */
interface Filter {
  orderId: string;
  endpoint: string;
  delivered: string;
  from: string;
  to: string;
}

function filterOf(route: Route): Filter {
  const { orderId = '', endpoint = '', delivered = '', from = '', to = '' } = route.params;
  return { orderId, endpoint, delivered, from, to };
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

/** The merchant notification attempts, newest first, by order, endpoint (origin or id), outcome or time; a notification sent again. */
export function DeliveriesView(props: ViewProps) {
  const { route, tick, fail } = props;
  const filter = filterOf(route);
  const filterKey = JSON.stringify(filter);
  // The form holds the times as the viewer's local time; the URL and the API, as instants.
  const draftOf = (shown: Filter): Filter => ({ ...shown, from: toLocalInput(shown.from), to: toLocalInput(shown.to) });
  const [draft, setDraft] = useState<Filter>(draftOf(filter));
  const [changed, setChanged] = useState(0);
  const pager = usePager();
  const { resend, result } = useResend(props, () => setChanged((count) => count + 1));

  useEffect(() => {
    setDraft(draftOf(filter));
    pager.reset();
  }, [filterKey]);

  const page = useAnswer(
    () => api<DeliveryPage>('GET', `/admin/deliveries${query({ ...filter, limit: PAGE_SIZE, cursor: pager.cursor })}`),
    fail,
    [tick, filterKey, pager.cursor, changed],
  );
  const offered = resendable(page?.items ?? []);

  const search = (event: Event) => {
    event.preventDefault();
    navigate({
      view: 'deliveries',
      params: { orderId: draft.orderId.trim(), endpoint: draft.endpoint.trim(), delivered: draft.delivered, from: fromLocalInput(draft.from), to: fromLocalInput(draft.to) },
    });
  };
  const set = (field: keyof Filter) => (event: { currentTarget: { value: string } }) => setDraft({ ...draft, [field]: event.currentTarget.value });

  return (
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Deliveries</h2>
      <form class="filters" onSubmit={search} role="search">
        <label>Order id <input name="orderId" value={draft.orderId} onInput={set('orderId')} /></label>
        <label>Endpoint (origin or id) <input name="endpoint" placeholder="https://shop.example" value={draft.endpoint} onInput={set('endpoint')} /></label>
        <label>Outcome
          <select name="delivered" value={draft.delivered} onChange={set('delivered')}>
            <option value="">any</option><option value="true">delivered</option><option value="false">failed</option>
          </select>
        </label>
        <label>From <input type="datetime-local" step={1} name="from" value={draft.from} onInput={set('from')} /></label>
        <label>To <input type="datetime-local" step={1} name="to" value={draft.to} onInput={set('to')} /></label>
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
              <tr key={row.id} data-id={row.id}>
                <td data-label="Time"><Time at={row.attemptedAt} /></td>
                <td data-label="Order">{row.orderId ? <Id kind="order" value={row.orderId} href={orderHref(row.orderId)} /> : <span class="muted">test event</span>}</td>
                <td data-label="#">{row.attempt}</td>
                <td data-label="URL" class="url">{row.endpoint ? <a href={hrefOf({ view: 'endpoints', id: row.endpoint })} title="its endpoint">{row.url}</a> : row.url}</td>
                <td data-label="HTTP">{row.httpStatus ?? '—'}</td>
                <td data-label="ms">{row.durationMs ?? '—'}</td>
                <td data-label="Outcome"><span class={`badge ${row.delivered ? 'resolved' : row.delivered === null ? 'retrying' : 'failed'}`}>{outcome(row)}</span></td>
                <td data-label="Answer">{row.responseSnippet ? (
                  <details><summary>snippet</summary><pre class="inline">{row.responseSnippet}</pre><CopyButton text={row.responseSnippet} label={`Copy the answer to attempt ${row.attempt} of ${row.eventId}`} /></details>
                ) : '—'}</td>
                <td data-label="Actions">
                  <div class="row-actions">
                    {offered.has(row.id) && <button type="button" onClick={() => resend(row)} aria-label={`Resend notification ${row.eventId}`}>Resend…</button>}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager pager={pager} nextCursor={page?.nextCursor ?? null} label="Deliveries" />
    </section>
  );
}
