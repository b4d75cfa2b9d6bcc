import { useEffect, useState } from 'preact/hooks';
import { api, FailedMessage, FailedMessagePage, FailedStatus, query } from './api';
import { Id } from './copy';
import { FailedMessageDetail } from './failed-message-detail';
import { firstLine } from './format';
import type { ViewProps } from './main';
import { Pager, usePager } from './pager';
import { hrefOf, navigate, orderHref, Route } from './router';
import { Time } from './time';
import { useAnswer } from './use-answer';

const STATUSES: FailedStatus[] = ['FAILED', 'RETRYING', 'RESOLVED', 'DISCARDED'];
const PAGE_SIZE = 25;

interface Filter {
  q: string;
  status: string;
  handler: string;
}

/** The filter the URL names: FAILED unless it says otherwise, `status=any` for every status. */
function filterOf(route: Route): Filter {
  const status = route.params.status ?? 'FAILED';
  return { q: route.params.q ?? '', status: status === 'any' ? '' : status, handler: route.params.handler ?? '' };
}

function paramsOf(filter: Filter): Record<string, string> {
  return { q: filter.q, status: filter.status || 'any', handler: filter.handler };
}

/** What the row says went wrong: a closed row shows how it was closed, not its old error as if current. */
function rowOutcome(row: FailedMessage) {
  if (row.status === 'RESOLVED') return <span class="muted">resolved <Time at={row.resolvedAt} /> (was: {firstLine(row.error)})</span>;
  if (row.status === 'DISCARDED') return <span class="muted">discarded: {row.discardReason}</span>;
  return <code>{firstLine(row.error)}</code>;
}

export function FailedMessagesView(props: ViewProps) {
  const { route, tick, report, fail, confirm } = props;
  const filter = filterOf(route);
  const filterKey = JSON.stringify(filter);
  const [draft, setDraft] = useState<Filter>(filter);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const open = route.id ?? null;
  const [changed, setChanged] = useState(0);
  const pager = usePager();

  // A new filter, by this form, a link, Back or Forward: the form shows it, from its first page, nothing selected.
  useEffect(() => {
    setDraft(filter);
    setSelected(new Set());
    pager.reset();
  }, [filterKey]);

  const page = useAnswer(
    () => api<FailedMessagePage>('GET', `/admin/failed-messages${query({ ...filter, limit: PAGE_SIZE, cursor: pager.cursor })}`),
    fail,
    [tick, filterKey, pager.cursor, changed],
  );

  const search = (event: Event) => {
    event.preventDefault();
    navigate({ view: 'failed', params: paramsOf({ ...draft, q: draft.q.trim(), handler: draft.handler.trim() }) });
  };
  const openDetail = (id: string | null) => navigate({ view: 'failed', ...(id ? { id } : {}), params: paramsOf(filter) });
  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id); else next.delete(id);
    setSelected(next);
  };
  const retryable = (page?.items ?? []).filter((row) => row.status === 'FAILED' && !row.poison);
  const done = () => setChanged((count) => count + 1);

  const retryOne = async (row: FailedMessage) => {
    try {
      await api('POST', `/admin/failed-messages/${row.id}/retry`);
      report({ kind: 'done', text: `Re-running ${row.handler} for message ${row.messageId}.` });
      done();
    } catch (error) { fail(error); }
  };
  const retrySelected = async () => {
    const ids = [...selected];
    if (ids.length > 1 && !(await confirm(`Retry ${ids.length} messages?`, `Each selected message is re-run on its handler now.`, `Retry ${ids.length}`))) return;
    const outcomes = await Promise.allSettled(ids.map((id) => api('POST', `/admin/failed-messages/${id}/retry`)));
    const failures = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    report(failures.length === 0
      ? { kind: 'done', text: `Re-running ${ids.length} selected message${ids.length === 1 ? '' : 's'}.` }
      : { kind: 'error', text: `Re-running ${ids.length - failures.length} of ${ids.length}; refused: ${failures.map((failure) => (failure.reason as Error).message).join('; ')}` });
    setSelected(new Set());
    done();
  };
  const retryAll = async () => {
    const status = filter.status === 'RETRYING' ? 'RETRYING' : 'FAILED';
    const scope = `every ${status} message${filter.handler ? ` of handler ${filter.handler}` : ' of every handler'}`;
    const note = filter.q ? ' The search text does not narrow it: the API re-runs by handler and status.' : '';
    if (!(await confirm('Retry all that match?', `This re-runs ${scope}.${note}`, 'Retry all'))) return;
    try {
      const { count, skipped } = await api<{ count: number; skipped: number }>('POST', '/admin/failed-messages/retry', { status, ...(filter.handler ? { handler: filter.handler } : {}) });
      report({ kind: 'done', text: `Re-running ${count} message${count === 1 ? '' : 's'} (${scope})${skipped ? `; ${skipped} poison left alone` : ''}.` });
      done();
    } catch (error) { fail(error); }
  };

  return (
    <section aria-labelledby="failed-title">
      <h2 id="failed-title">Failed messages</h2>
      <form class="filters" onSubmit={search} role="search">
        <label>Search <input type="search" name="q" placeholder="an id or a part of one, a routing key, error text" value={draft.q} onInput={(event) => setDraft({ ...draft, q: event.currentTarget.value })} /></label>
        <label>Status
          <select name="status" value={draft.status} onChange={(event) => setDraft({ ...draft, status: event.currentTarget.value })}>
            <option value="">any</option>
            {STATUSES.map((status) => <option value={status}>{status}</option>)}
          </select>
        </label>
        <label>Handler <input name="handler" placeholder="notify.merchant" value={draft.handler} onInput={(event) => setDraft({ ...draft, handler: event.currentTarget.value })} /></label>
        <button type="submit" class="primary">Search</button>
      </form>
      <div class="toolbar">
        <button type="button" disabled={selected.size === 0} onClick={retrySelected}>Retry selected ({selected.size})</button>
        <button type="button" onClick={retryAll}>Retry all matching…</button>
      </div>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col"><span class="visually-hidden">Select</span></th>
              <th scope="col">Status</th><th scope="col">Handler</th><th scope="col">Order</th><th scope="col">Attempts</th>
              <th scope="col">Sweeps</th><th scope="col">Last failed</th><th scope="col">Next sweep</th><th scope="col">Error</th><th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {page?.items.length === 0 && <tr><td colSpan={10}>No failed messages match.</td></tr>}
            {page?.items.map((row) => (
              <tr key={row.id} data-id={row.id} aria-current={row.id === open ? 'true' : undefined}>
                <td data-label="Select">
                  {retryable.includes(row) && (
                    <input type="checkbox" aria-label={`Select message ${row.messageId}`} checked={selected.has(row.id)} onChange={(event) => toggle(row.id, event.currentTarget.checked)} />
                  )}
                </td>
                <td data-label="Status"><span class={`badge ${row.status.toLowerCase()}`}>{row.status}</span>{row.poison && <span class="badge poison" title="cannot be read: a re-run would fail the same way">poison</span>}</td>
                <td data-label="Handler">{row.handler}</td>
                <td data-label="Order">{row.orderId ? <Id kind="order" value={row.orderId} href={orderHref(row.orderId)} /> : '—'}</td>
                <td data-label="Attempts">{row.attempts}</td>
                <td data-label="Sweeps">{row.sweepCount}</td>
                <td data-label="Last failed"><Time at={row.lastFailedAt} /></td>
                <td data-label="Next sweep"><Time at={row.nextSweepAt} /></td>
                <td data-label="Error">{rowOutcome(row)}</td>
                <td data-label="Actions">
                  <div class="row-actions">
                    <a class="button" href={hrefOf({ view: 'failed', id: row.id, params: paramsOf(filter) })} aria-label={`Details of message ${row.messageId}`}>Details</a>
                    {retryable.includes(row) && <button type="button" onClick={() => retryOne(row)} aria-label={`Retry message ${row.messageId}`}>Retry</button>}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager pager={pager} nextCursor={page?.nextCursor ?? null} label="Failed messages" />
      {open && <FailedMessageDetail id={open} {...props} tick={tick + changed} onClose={() => openDetail(null)} onChanged={done} />}
    </section>
  );
}
