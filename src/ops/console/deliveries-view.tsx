import { useState } from 'preact/hooks';
import { api, Delivery, Page, query } from './api';
import type { ViewProps } from './main';
import { Pager, usePager } from './pager';
import { Time } from './time';
import { useAnswer } from './use-answer';

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

/** The merchant notification attempts, newest first, by order, endpoint or outcome. */
export function DeliveriesView({ tick, fail }: ViewProps) {
  const [draft, setDraft] = useState<Filter>({ orderId: '', endpoint: '', delivered: '' });
  const [filter, setFilter] = useState<Filter>(draft);
  const pager = usePager();

  const page = useAnswer(
    () => api<Page<Delivery>>('GET', `/admin/deliveries${query({ ...filter, limit: PAGE_SIZE, cursor: pager.cursor })}`),
    fail,
    [tick, filter, pager.cursor],
  );

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
      <div class="table-wrap">
        <table>
          <thead>
            <tr><th scope="col">Time</th><th scope="col">Order</th><th scope="col">#</th><th scope="col">URL</th><th scope="col">HTTP</th><th scope="col">ms</th><th scope="col">Outcome</th><th scope="col">Answer</th></tr>
          </thead>
          <tbody>
            {page?.items.length === 0 && <tr><td colSpan={8}>No deliveries match.</td></tr>}
            {page?.items.map((row) => (
              <tr key={row.id}>
                <td><Time at={row.attemptedAt} /></td>
                <td><code>{row.orderId}</code></td>
                <td>{row.attempt}</td>
                <td class="url">{row.url}</td>
                <td>{row.httpStatus ?? '—'}</td>
                <td>{row.durationMs ?? '—'}</td>
                <td><span class={`badge ${row.delivered ? 'resolved' : row.delivered === null ? 'retrying' : 'failed'}`}>{outcome(row)}</span></td>
                <td>{row.responseSnippet ? <details><summary>snippet</summary><pre class="inline">{row.responseSnippet}</pre></details> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager pager={pager} nextCursor={page?.nextCursor ?? null} label="Deliveries" />
    </section>
  );
}
