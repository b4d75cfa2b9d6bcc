import { useEffect, useRef } from 'preact/hooks';
import { api, Endpoint } from './api';
import { Id } from './copy';
import { CircuitState, EndpointActions } from './endpoint-actions';
import { latencyOf, limitOf } from './endpoint-load';
import { firstLine, percent } from './format';
import type { ViewProps } from './main';
import { hrefOf } from './router';
import { Time } from './time';
import { useAnswer } from './use-answer';

interface Props extends ViewProps {
  id: string;
  changed: number;
  onClose: () => void;
  onChanged: () => void;
}

/** One endpoint: its circuit, limits and last hour, where its deliveries are, and what can be done to it. */
export function EndpointDetail(props: Props) {
  const { id, tick, changed, fail, onClose } = props;
  const heading = useRef<HTMLHeadingElement>(null);
  const endpoint = useAnswer(() => api<Endpoint>('GET', `/admin/endpoints/${encodeURIComponent(id)}`), fail, [id, tick, changed]);
  useEffect(() => heading.current?.focus(), [id]);

  return (
    <section class="detail" aria-labelledby="endpoint-title">
      <div class="detail-head">
        <h3 id="endpoint-title" tabIndex={-1} ref={heading}>Endpoint {endpoint?.origin ?? id}</h3>
        <button type="button" onClick={onClose}>Close details</button>
      </div>
      {endpoint && (
        <>
          <dl class="facts">
            <dt>Id</dt><dd><Id kind="endpoint" value={endpoint.id} /></dd>
            <dt>State</dt><dd><CircuitState endpoint={endpoint} /></dd>
            <dt>Deliveries</dt>
            <dd>
              <a href={hrefOf({ view: 'deliveries', params: { endpoint: endpoint.origin } })}>all to {endpoint.origin}</a>{' · '}
              <a href={hrefOf({ view: 'deliveries', params: { endpoint: endpoint.origin, delivered: 'false' } })}>failed only</a>
            </dd>
            <dt>Limit</dt>
            <dd data-testid="endpoint-limit">
              {limitOf(endpoint)} <span class="muted">at once; the adaptive limit is {endpoint.adaptiveLimit}</span>
            </dd>
            <dt>In flight</dt><dd data-testid="endpoint-load">{endpoint.inFlight} now, {endpoint.waiting} waiting for a slot</dd>
            <dt>Latency p50 / p99</dt><dd data-testid="endpoint-latency">{latencyOf(endpoint)} <span class="muted">(last 100 attempts)</span></dd>
            <dt>Rate limit</dt><dd>{endpoint.rateLimit ? `${endpoint.rateLimit} a second` : 'none'}</dd>
            <dt>Success rule</dt><dd>{endpoint.successRule}</dd>
            <dt>Last hour</dt><dd>{endpoint.attemptsLastHour} attempts, failure rate {percent(endpoint.failuresLastHour, endpoint.attemptsLastHour)}</dd>
            <dt>Last success</dt><dd><Time at={endpoint.lastSuccessAt} /></dd>
            <dt>Last failure</dt><dd><Time at={endpoint.lastFailureAt} /></dd>
            <dt>Last error</dt><dd><code>{firstLine(endpoint.lastError) || '—'}</code></dd>
          </dl>
          <EndpointActions {...props} endpoint={endpoint} />
        </>
      )}
    </section>
  );
}
