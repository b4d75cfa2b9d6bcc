import { useState } from 'preact/hooks';
import { api, EndpointPage, query } from './api';
import { CircuitState, EndpointActions } from './endpoint-actions';
import { EndpointDetail } from './endpoint-detail';
import { latencyOf, limitOf } from './endpoint-load';
import { firstLine, percent } from './format';
import type { ViewProps } from './main';
import { Pager, usePager } from './pager';
import { hrefOf, navigate } from './router';
import { Time } from './time';
import { useAnswer } from './use-answer';

const PAGE_SIZE = 100;

/** Merchant endpoints: their circuit, limit and load, answer times and failures, their deliveries; enable, recover, change their settings. */
export function EndpointsView(props: ViewProps) {
  const { route, tick, fail } = props;
  const [changed, setChanged] = useState(0);
  const pager = usePager();
  const page = useAnswer(() => api<EndpointPage>('GET', `/admin/endpoints${query({ limit: PAGE_SIZE, cursor: pager.cursor })}`), fail, [tick, changed, pager.cursor]);
  const endpoints = page?.items;
  const done = () => setChanged((count) => count + 1);

  return (
    <section aria-labelledby="endpoints-title">
      <h2 id="endpoints-title">Endpoints</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Origin</th><th scope="col">State</th><th scope="col">Limit</th><th scope="col">In flight</th><th scope="col">Waiting</th>
              <th scope="col" title="answer times of the last 100 attempts">p50 / p99</th><th scope="col">Last hour</th>
              <th scope="col">Last success</th><th scope="col">Last failure</th><th scope="col">Last error</th><th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {endpoints?.length === 0 && <tr><td colSpan={11}>No endpoint has been notified yet.</td></tr>}
            {endpoints?.map((endpoint) => (
              <tr key={endpoint.id} data-origin={endpoint.origin} aria-current={endpoint.id === route.id ? 'true' : undefined}>
                <td data-label="Origin" class="url">
                  <a href={hrefOf({ view: 'endpoints', id: endpoint.id })} aria-label={`Details of ${endpoint.origin}`}>{endpoint.origin}</a>
                  <div><a href={hrefOf({ view: 'deliveries', params: { endpoint: endpoint.origin } })} aria-label={`Deliveries to ${endpoint.origin}`}>Deliveries</a></div>
                </td>
                <td data-label="State"><CircuitState endpoint={endpoint} /></td>
                <td data-label="Limit" class="figure">{limitOf(endpoint)}</td>
                <td data-label="In flight">{endpoint.inFlight}</td>
                <td data-label="Waiting">{endpoint.waiting}</td>
                <td data-label="Latency p50 / p99" class="figure">{latencyOf(endpoint)}</td>
                <td data-label="Last hour">
                  {endpoint.attemptsLastHour} attempt{endpoint.attemptsLastHour === 1 ? '' : 's'}
                  {endpoint.attemptsLastHour > 0 && <div class="muted">{percent(endpoint.failuresLastHour, endpoint.attemptsLastHour)} failed</div>}
                </td>
                <td data-label="Last success"><Time at={endpoint.lastSuccessAt} /></td>
                <td data-label="Last failure"><Time at={endpoint.lastFailureAt} /></td>
                <td data-label="Last error"><code>{firstLine(endpoint.lastError) || '—'}</code></td>
                <td data-label="Actions"><EndpointActions {...props} endpoint={endpoint} onChanged={done} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager pager={pager} nextCursor={page?.nextCursor ?? null} label="Endpoints" />
      {route.id && <EndpointDetail {...props} id={route.id} changed={changed} onClose={() => navigate({ view: 'endpoints' })} onChanged={done} />}
    </section>
  );
}
