import { useEffect, useState } from 'preact/hooks';
import { api, Health, health, OutboxList, OutboxRow, Stats, Summary } from './api';
import { Chart } from './chart';
import type { ViewProps } from './main';
import { Id } from './copy';
import { hrefOf, orderHref } from './router';
import { Time } from './time';
import { useAnswer } from './use-answer';

const WINDOWS = { '1h': { label: 'last hour', bucket: '1m' }, '24h': { label: 'last day', bucket: '15m' } } as const;
type Window = keyof typeof WINDOWS;

function Status({ name, value }: { name: string; value: Health['database' | 'broker'] | undefined }) {
  return <li>{name}: <span class={`badge ${value === 'up' ? 'up' : 'down'}`} data-testid={`health-${name}`}>{value ?? 'unknown'}</span></li>;
}

/** What needs a human now: health, counts, the outbox and the last hour or day in charts. */
export function SummaryView({ tick, fail }: ViewProps) {
  const [ready, setReady] = useState<Health | null>(null);
  const [summary, setSummary] = useState<Summary | null>(null);
  const [outbox, setOutbox] = useState<OutboxRow[]>([]);
  const [window, setWindow] = useState<Window>('1h');

  useEffect(() => {
    health().then(setReady);
    api<Summary>('GET', '/admin/summary').then(setSummary, fail);
    api<OutboxList>('GET', '/admin/outbox').then((answer) => setOutbox(answer.items), fail);
  }, [tick, window]);

  const buckets =
    useAnswer(async () => (await api<Stats>('GET', `/admin/stats?window=${window}&bucket=${WINDOWS[window].bucket}`)).buckets, fail, [tick, window]) ?? [];
  const times = buckets.map((bucket) => Date.parse(bucket.at) / 1000);
  return (
    <section aria-labelledby="summary-title">
      <h2 id="summary-title">Summary</h2>
      <ul class="health" aria-label="Health">
        <Status name="database" value={ready?.database} />
        <Status name="broker" value={ready?.broker} />
      </ul>
      {ready?.broker === 'down' && <p class="notice error">The broker is down: events wait in the outbox and attempts are not made until it is back.</p>}
      {ready?.broker === 'refusing' && <p class="notice error">The broker is connected but refuses the platform's declares or publishes{ready.brokerRefusal ? `: ${ready.brokerRefusal}` : '.'}</p>}
      {summary && (
        <dl class="counts">
          {Object.entries(summary.failedMessages).map(([status, count]) => (<div><dt>{status}</dt><dd><a href={hrefOf({ view: 'failed', params: { status } })}>{count}</a></dd></div>))}
          <div><dt>Outbox ready</dt><dd>{summary.outbox.ready}</dd></div>
          <div><dt>Outbox prepare</dt><dd>{summary.outbox.prepare}{summary.outbox.stuck > 0 && <span class="badge failed">{summary.outbox.stuck} stuck</span>}</dd></div>
          <div><dt>Oldest unpublished</dt><dd>{summary.outbox.oldestAgeSeconds === null ? '—' : `${Math.round(summary.outbox.oldestAgeSeconds)} s`}</dd></div>
          <div><dt>Payment incidents</dt><dd>{summary.paymentIncidents}</dd></div>
        </dl>
      )}
      <label>Charts over the <select value={window} onChange={(event) => setWindow(event.currentTarget.value as Window)}>
        {(Object.keys(WINDOWS) as Window[]).map((key) => <option value={key}>{WINDOWS[key].label}</option>)}
      </select></label>
      <div class="charts">
        <Chart title="Deliveries by outcome" times={times} series={[
          { label: 'delivered', color: '#1a7f37', values: buckets.map((bucket) => bucket.deliveries.delivered) },
          { label: 'failed', color: '#cf222e', values: buckets.map((bucket) => bucket.deliveries.failed) },
          { label: 'unknown', color: '#9a6700', values: buckets.map((bucket) => bucket.deliveries.unknown) },
        ]} />
        <Chart title="Handler runs by outcome" times={times} series={[
          { label: 'done', color: '#0969da', values: buckets.map((bucket) => bucket.handlerRuns.done) },
          { label: 'failed', color: '#cf222e', values: buckets.map((bucket) => bucket.handlerRuns.failed) },
        ]} />
      </div>
      <h3>Outbox (not yet published)</h3>
      <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">State</th><th scope="col">Event</th><th scope="col">Created</th><th scope="col">Attempts</th><th scope="col">Last error</th></tr></thead>
          <tbody>
            {outbox.length === 0 && <tr><td colSpan={5}>Nothing waiting.</td></tr>}
            {outbox.map((row) => (
              <tr>
                <td data-label="State">{row.state}{row.stuck && <span class="badge failed">stuck</span>}</td>
                {/* A payment's check-back is keyed by its order. */}
                <td data-label="Event">{row.routingKey ?? (row.kind === 'payment' && row.checkBackId ? <>payment of <Id kind="order" value={row.checkBackId} href={orderHref(row.checkBackId)} /></> : `${row.kind} ${row.checkBackId}`)}</td>
                <td data-label="Created"><Time at={row.createdAt} /></td>
                <td data-label="Attempts">{row.attempts}</td>
                <td data-label="Last error">{row.lastError ?? (ready?.broker === 'down' || ready?.broker === 'refusing' ? 'waiting for the broker' : '—')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
