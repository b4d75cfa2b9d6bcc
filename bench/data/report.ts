import { RETENTION_BATCH, RETENTION_PAUSE_FACTOR } from '../../src/retention/retention.service';
import { TARGET_P99_MS } from './admin';
import type { GrowthPlan } from './grow';
import { p50, p99, HotPathResult } from './hot-path';
import { partitionNote } from './phases';
import type { WorldFigures } from './scenario';

interface Settings {
  clients: number;
  hotRate: number;
  hotOrders: number;
  drainRows: number;
  adminRequests: number;
  target: number;
  platform: string;
  server: string;
}

type Row = [label: string, empty: number | undefined, grown: number | undefined, digits?: number, ratio?: boolean];

const cell = (value: number | undefined, digits: number) => (value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits));
const count = (value: number) => value.toLocaleString('en');

/** label, empty, grown, grown / empty. */
function table(title: string, rows: Row[]): string {
  const lines = [title, `${'figure'.padEnd(52)} ${'empty'.padStart(10)} ${'grown'.padStart(10)} ${'ratio'.padStart(7)}`];
  for (const [label, empty, grown, digits = 1, ratio = true] of rows) {
    const quotient = ratio && empty !== undefined && grown !== undefined && empty !== 0 ? cell(grown / empty, 2) : '';
    lines.push(`${label.padEnd(52)} ${cell(empty, digits).padStart(10)} ${cell(grown, digits).padStart(10)} ${quotient.padStart(7)}`);
  }
  return lines.join('\n');
}

function hotRows(prefix: string, empty: HotPathResult | undefined, grown: HotPathResult | undefined): Row[] {
  return [
    [`${prefix}POST /orders p50 ms`, empty && p50(empty.post), grown && p50(grown.post)],
    [`${prefix}POST /orders p99 ms`, empty && p99(empty.post), grown && p99(grown.post)],
    [`${prefix}GET /orders/:id (just placed) p50 ms`, empty && p50(empty.getPlaced), grown && p50(grown.getPlaced)],
    [`${prefix}GET /orders/:id (just placed) p99 ms`, empty && p99(empty.getPlaced), grown && p99(grown.getPlaced)],
    [`${prefix}GET /orders/:id (older order) p50 ms`, empty && p50(empty.getExisting), grown && p50(grown.getExisting)],
    [`${prefix}GET /orders/:id (older order) p99 ms`, empty && p99(empty.getExisting), grown && p99(grown.getExisting)],
    [`${prefix}orders done (achieved orders/s)`, empty?.ordersPerSecond, grown?.ordersPerSecond],
    [`${prefix}platform CPU % of one core`, empty?.cpuPercent, grown?.cpuPercent, 0],
    [`${prefix}machine load average (1 min) at the end`, empty?.loadAverage, grown?.loadAverage, 1, false],
  ];
}

export function dataReport({ plan, empty, grown, settings, minutes }: { plan: GrowthPlan; empty: WorldFigures; grown: WorldFigures; settings: Settings; minutes: number }): string {
  const out: string[] = [];
  const growth = grown.growth!;
  out.push(
    `\nproduction-size data, scale ${plan.scale}: ${count(plan.orders)} orders, ${count(plan.deliveries)} deliveries (planned), ` +
      `${count(plan.processed)} processed messages, ${count(plan.failed)} failed messages (${count(plan.failedOpen)} FAILED), ${count(plan.merchants)} merchants and endpoints, over ${plan.spanDays} days`,
  );
  out.push(
    `grown in ${growth.seconds.total.toFixed(0)} s (rows ${growth.seconds.insert.toFixed(0)} s, keys and indexes ${growth.seconds.indexes.toFixed(0)} s, ` +
      `VACUUM ANALYZE ${growth.seconds.vacuum.toFixed(0)} s, then CHECKPOINT ${growth.seconds.checkpoint.toFixed(0)} s so that no figure pays for the load's own writes); ${partitionNote(growth.partitioned)}` +
      (growth.partitionsMade > 0 ? ` (${growth.partitionsMade} back-dated partitions made)` : ''),
  );
  out.push(`rows: ${Object.entries(growth.rows).filter(([, rows]) => rows >= 1000).map(([name, rows]) => `${name} ${count(rows)}`).join(', ')}`);
  out.push(`platform: node dist/main.js, defaults but ${settings.platform} (the test world's compressed ones undone), RELAY_INTERVAL=1s, ` +
    'LOG_LEVEL=warn (as every bench run), NOTIFY_ALLOW_PRIVATE=true (the merchant endpoints listen on 127.0.0.1); ' +
    `retention at its defaults: PROCESSED_RETENTION=7d, HISTORY_RETENTION=30d, a round every 5 min, ${RETENTION_BATCH.toLocaleString('en-US')} rows a batch, a pause ${RETENTION_PAUSE_FACTOR} times each batch after it`);
  out.push(`PostgreSQL: ${settings.server}`);
  out.push(`total run ${minutes.toFixed(1)} min; ratio = grown / empty (above 1: slower or more on the grown database)`);

  out.push(
    '\n' +
      table(`hot path: ${settings.hotOrders} orders in two turns per database (empty, grown, grown, empty; 100 not counted at the start of each) started at ${settings.hotRate}/s by ${settings.clients} clients; each POST /orders, GET of it, GET of an older order`, [
        ...hotRows('', empty.hot, grown.hot),
      ]),
  );

  const r = grown.retention;
  const retentionRows: Row[] = [];
  if (r?.observed) {
    retentionRows.push(['round began after platform start, s', undefined, r.beganAfterS, 0, false]);
    retentionRows.push([r.finished ? 'round took, s' : 'round watched for, s (it was still running)', undefined, r.seconds, 1, false]);
    const rowRate = r.prunedByMetrics !== undefined && r.seconds ? r.prunedByMetrics / r.seconds : undefined;
    retentionRows.push(['rows deleted per second (row retention)', undefined, rowRate, 0, false]);
    if (!r.finished && rowRate) {
      // What row retention still has to delete (a partitioned table's leftovers wait for their partition to be whole due).
      const left = r.after.filter((state) => !grown.partitioned.includes(state.table)).reduce((sum, state) => sum + state.due, 0);
      retentionRows.push(['rows still due for row retention', undefined, left, 0, false]);
      retentionRows.push(['at that pace, the round ends after, min', undefined, (r.seconds! + left / rowRate) / 60, 0, false]);
    }
    for (const before of r.before) {
      const after = r.after.find((state) => state.table === before.table)!;
      retentionRows.push([`${before.table}: rows due before`, undefined, before.due, 0, false]);
      retentionRows.push([`${before.table}: rows removed (of those due)`, undefined, before.due - after.due, 0, false]);
      retentionRows.push([`${before.table}: still due after`, undefined, after.due, 0, false]);
      retentionRows.push([`${before.table}: dead tuples after`, undefined, after.deadTuples, 0, false]);
      retentionRows.push([`${before.table}: MB before → after`, before.bytes / 1048576, after.bytes / 1048576, 0, true]);
    }
    retentionRows.push(['rows deleted (retention metrics)', undefined, r.prunedByMetrics, 0, false]);
    retentionRows.push(['partitions dropped (retention metrics)', undefined, r.partitionsDropped, 0, false]);
    retentionRows.push(...hotRows('during round: ', empty.roundWindow ?? empty.hot, r.hot));
    retentionRows.push(['during round: POST /orders p99 ms, against empty steady', p99(empty.hot.post), r.hot && p99(r.hot.post)]);
  }
  out.push(
    '\n' +
      table(
        'retention round (grown only; the empty column of the hot-path rows is the empty database\'s hot path over the same window of its run, ' +
          'where it has no round to run, but for the one row against its steady hot path; of the MB rows, the size before and after)',
        retentionRows.length > 0 ? retentionRows : [['no round observed', undefined, undefined]],
      ),
  );
  if (r?.hot) {
    const slices = r.hot.postBySlice.map((slice) => `${slice.from.toISOString().slice(11, 19)} ${slice.p99.toFixed(1)}`);
    out.push(`during round: POST /orders p99 ms by half minute (UTC, set it beside the database log's checkpoints): ${slices.join(', ')}`);
  }
  if (empty.roundWindow) {
    const slices = empty.roundWindow.postBySlice.map((slice) => `${slice.from.toISOString().slice(11, 19)} ${slice.p99.toFixed(1)}`);
    out.push(`empty database, same window: POST /orders p99 ms by half minute: ${slices.join(', ')}`);
  }
  for (const note of r?.notes ?? []) out.push(`  note: ${note}`);

  const drainRows: Row[] = [];
  for (const processes of [1, 2]) {
    const e = empty.drains.find((drain) => drain.processes === processes);
    const g = grown.drains.find((drain) => drain.processes === processes);
    const name = `${processes} process${processes > 1 ? 'es' : ''}: `;
    drainRows.push([`${name}listening → outbox empty, s`, e?.seconds, g?.seconds]);
    drainRows.push([`${name}rows/s`, e?.rowsPerSecond, g?.rowsPerSecond, 0]);
    drainRows.push([`${name}POST /orders p50 ms during`, e && p50(e.hot.post), g && p50(g.hot.post)]);
    drainRows.push([`${name}POST /orders p99 ms during`, e && p99(e.hot.post), g && p99(g.hot.post)]);
    drainRows.push([`${name}GET /orders/:id p99 ms during`, e && p99(e.hot.getPlaced), g && p99(g.hot.getPlaced)]);
    drainRows.push([`${name}orders done during`, e?.hot.orders, g?.hot.orders, 0, false]);
    drainRows.push([`${name}platform CPU, % of a core`, e?.hot.cpuPercent, g?.hot.cpuPercent, 0]);
    drainRows.push([`${name}RabbitMQ CPU, % of a core`, e?.brokerCpuPercent, g?.brokerCpuPercent, 0]);
    drainRows.push([`${name}machine idle, % of all cores`, e?.machineIdlePercent, g?.machineIdlePercent, 0, false]);
  }
  out.push('\n' + table(`outbox drain: ${count(settings.drainRows)} READY rows (order.confirmed, due) left by an outage, the platform started on them; hot path at ${settings.hotRate}/s beside it from its first second`, drainRows));

  const rss = [empty.rss, grown.rss];
  out.push(
    '\n' +
      table(`RSS across ${count(empty.rss.endpoints)} merchant endpoints: one notification to each origin, all paid at once (64 callbacks at a time)`, [
        ['RSS before (after a full GC), MB', rss[0].beforeMb, rss[1].beforeMb],
        ['RSS peak, MB', rss[0].peakMb, rss[1].peakMb],
        ['RSS after the connections closed and a full GC, MB', rss[0].afterMb, rss[1].afterMb],
        ['RSS 10 s later (full GC), MB', rss[0].laterMb, rss[1].laterMb],
        ['after − before, MB', rss[0].afterMb - rss[0].beforeMb, rss[1].afterMb - rss[1].beforeMb, 1, false],
        ['V8 heap in use before (full GC), MB', rss[0].heapBeforeMb, rss[1].heapBeforeMb],
        ['V8 heap in use after (full GC), MB', rss[0].heapAfterMb, rss[1].heapAfterMb],
        ['connections open at once (peak)', rss[0].peakOpenConnections, rss[1].peakOpenConnections, 0],
        ['all closed, s after the last notification', rss[0].closedAfterS, rss[1].closedAfterS],
        ['notifications/s', rss[0].notificationsPerSecond, rss[1].notificationsPerSecond, 0],
        ['notify p50 ms (callback → merchant)', rss[0].notifyP50, rss[1].notifyP50],
        ['notify p99 ms', rss[0].notifyP99, rss[1].notifyP99],
      ]),
  );

  const lines = [
    `admin and console queries: ${settings.adminRequests} requests each (at most 8 s), one at a time, idle platform; target p99 ≤ ${TARGET_P99_MS} ms (* over); ` +
      `machine load average (1 min) after them: empty ${empty.adminLoad.toFixed(1)}, grown ${grown.adminLoad.toFixed(1)}`,
    `${'query'.padEnd(36)} ${'empty p50'.padStart(9)} ${'p99'.padStart(7)} ${'grown p50'.padStart(9)} ${'p99'.padStart(7)} ${'ratio'.padStart(6)}  n`,
  ];
  for (const g of grown.admin) {
    const e = empty.admin.find((figure) => figure.label === g.label);
    const statuses = (figure?: { statuses: Record<number, number> }) =>
      figure && Object.keys(figure.statuses).length > 0 ? ` (${Object.entries(figure.statuses).map(([status, n]) => `${n}×${status}`).join(', ')})` : '';
    lines.push(
      `${g.label.padEnd(36)} ${cell(e?.p50, 1).padStart(9)} ${cell(e?.p99, 1).padStart(7)} ${cell(g.p50, 1).padStart(9)} ${cell(g.p99, 1).padStart(7)}${g.p99 > TARGET_P99_MS ? '*' : ' '}` +
        `${(e ? cell(g.p99 / e.p99, 2) : '').padStart(6)}  ${g.requests}${statuses(e)}${statuses(g)}`,
    );
  }
  out.push('\n' + lines.join('\n'));
  for (const { label, p99: slowest, plan } of [...empty.explains.map((each) => ({ ...each, label: `${each.label} (empty database)` })), ...grown.explains]) {
    out.push(`\nover target: ${label}, p99 ${slowest.toFixed(1)} ms; the statements it sends, EXPLAIN (ANALYZE, BUFFERS) on that database:\n${plan}`);
  }
  for (const figures of [empty, grown]) for (const note of figures.notes) out.push(`note (${figures.kind}): ${note}`);
  return out.join('\n');
}
