import { useState } from 'preact/hooks';
import { api, Endpoint, Page, query } from './api';
import { EndpointSettings } from './endpoint-settings';
import { firstLine, percent } from './format';
import type { ViewProps } from './main';
import { Pager, usePager } from './pager';
import { Time } from './time';
import { useAnswer } from './use-answer';

const PAGE_SIZE = 100;

/** Merchant endpoints: their circuit, load and failures; enable, recover, change their settings. */
export function EndpointsView(props: ViewProps) {
  const { tick, report, fail, confirm } = props;
  const [changed, setChanged] = useState(0);
  const [since, setSince] = useState<Record<string, string>>({});

  const pager = usePager();
  const page = useAnswer(() => api<Page<Endpoint>>('GET', `/admin/endpoints${query({ limit: PAGE_SIZE, cursor: pager.cursor })}`), fail, [tick, changed, pager.cursor]);
  const endpoints = page?.items;
  const done = () => setChanged((count) => count + 1);

  const enable = async (endpoint: Endpoint) => {
    try {
      const answer = await api<Endpoint>('POST', `/admin/endpoints/${endpoint.id}/enable`);
      report({ kind: 'done', text: `${endpoint.origin} is ${answer.state} again.` });
      done();
    } catch (error) { fail(error); }
  };
  const recover = async (event: Event, endpoint: Endpoint) => {
    event.preventDefault();
    const local = since[endpoint.id];
    if (!local) return;
    const from = new Date(local);
    if (!(await confirm(`Recover ${endpoint.origin}?`, `Every failed notification to it whose first failure is at or after ${from.toLocaleString()} is re-run, oldest first.`, 'Recover'))) return;
    try {
      const { count } = await api<{ count: number }>('POST', `/admin/endpoints/${endpoint.id}/recover`, { since: from.toISOString() });
      report({ kind: 'done', text: `Re-running ${count} failed notification${count === 1 ? '' : 's'} to ${endpoint.origin}.` });
      done();
    } catch (error) { fail(error); }
  };

  return (
    <section aria-labelledby="endpoints-title">
      <h2 id="endpoints-title">Endpoints</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Origin</th><th scope="col">State</th><th scope="col">In flight</th><th scope="col">Attempts (1 h)</th><th scope="col">Failure rate (1 h)</th>
              <th scope="col">Last success</th><th scope="col">Last failure</th><th scope="col">Last error</th><th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {endpoints?.length === 0 && <tr><td colSpan={9}>No endpoint has been notified yet.</td></tr>}
            {endpoints?.map((endpoint) => (
              <tr key={endpoint.id} data-origin={endpoint.origin}>
                <td class="url">{endpoint.origin}</td>
                <td><span class={`badge state-${endpoint.state.toLowerCase()}`} data-testid="endpoint-state">{endpoint.state}</span>{endpoint.disabledReason && <div class="muted">{endpoint.disabledReason}</div>}</td>
                <td>{endpoint.inFlight}</td>
                <td>{endpoint.attemptsLastHour}</td>
                <td>{percent(endpoint.failuresLastHour, endpoint.attemptsLastHour)}</td>
                <td><Time at={endpoint.lastSuccessAt} /></td>
                <td><Time at={endpoint.lastFailureAt} /></td>
                <td><code>{firstLine(endpoint.lastError) || '—'}</code></td>
                <td class="row-actions">
                  {endpoint.state !== 'ACTIVE' && <button type="button" onClick={() => enable(endpoint)} aria-label={`Enable ${endpoint.origin}`}>Enable</button>}
                  <form class="recover" onSubmit={(event) => recover(event, endpoint)}>
                    <label>Recover since <input type="datetime-local" step={1} required value={since[endpoint.id] ?? ''} onInput={(event) => setSince({ ...since, [endpoint.id]: event.currentTarget.value })} /></label>
                    <button type="submit">Recover</button>
                  </form>
                  <EndpointSettings endpoint={endpoint} report={report} fail={fail} onChanged={done} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager pager={pager} nextCursor={page?.nextCursor ?? null} label="Endpoints" />
    </section>
  );
}
