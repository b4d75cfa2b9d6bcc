/** The scenario's measurements that need a running platform around them: retention, the 2,000 endpoints' RSS, the outbox drain. */
import { createHmac } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { LoadClient } from '../pipeline/closed-loop';
import { processRss } from '../pipeline/probes';
import { MerchantFarm } from './farm';
import { PARTITIONED } from './grow';
import { percentile } from '../pipeline/measure';

/** The tables retention prunes, the setting that ages each, and what in them is due. */
export const RETAINED = [
  { table: 'processed_messages', retention: 'processed', due: `processed_at < $1` },
  { table: 'deliveries', retention: 'history', due: `attempted_at < $1` },
  { table: 'notifications', retention: 'history', due: `state = 'DELIVERED' AND delivered_at < $1` },
  { table: 'failed_messages', retention: 'history', due: `status IN ('RESOLVED', 'DISCARDED') AND resolved_at < $1` },
] as const;

export interface TableState {
  table: string;
  rows: number;
  due: number;
  deadTuples: number;
  bytes: number;
}

/**
 * Each retained table (with its partitions, when it has some): rows, rows due for retention by
 * `at` (PROCESSED_RETENTION / HISTORY_RETENTION before it), dead tuples, bytes on disk.
 */
export async function tableStates(db: Client, at: Date, retentionMs: { processed: number; history: number }): Promise<TableState[]> {
  // Dead tuples as of now: a backend reports its counts at most once a second.
  await db.query(`SELECT pg_stat_clear_snapshot()`);
  const states: TableState[] = [];
  for (const { table, retention, due } of RETAINED) {
    const cutoff = new Date(at.getTime() - retentionMs[retention]);
    const [{ rows, due: dueRows }] = (await db.query<{ rows: string; due: string }>(`SELECT count(*) AS rows, count(*) FILTER (WHERE ${due}) AS due FROM ${table}`, [cutoff])).rows;
    const [{ dead, bytes }] = (
      await db.query<{ dead: string; bytes: string }>(
        `SELECT coalesce(sum(s.n_dead_tup), 0) AS dead, coalesce(sum(pg_total_relation_size(t.relid)), 0) AS bytes
           FROM (SELECT relid FROM pg_partition_tree($1::regclass) UNION SELECT $1::regclass) AS t
           LEFT JOIN pg_stat_user_tables AS s ON s.relid = t.relid`,
        [table],
      )
    ).rows;
    states.push({ table, rows: Number(rows), due: Number(dueRows), deadTuples: Number(dead), bytes: Number(bytes) });
  }
  return states;
}

/** What retention's metrics say so far: rows it deleted and partitions it dropped, all tables together. */
async function retentionCounters(client: LoadClient, url: string): Promise<{ pruned: number; partitions: number } | undefined> {
  try {
    const answer = await client.send('GET', `${url}/metrics`);
    if (answer.status !== 200) return undefined;
    const sum = (name: string) =>
      answer.text
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    return { pruned: sum('backstop_retention_pruned_total'), partitions: sum('backstop_retention_partitions_dropped_total') };
  } catch {
    return undefined;
  }
}

/** How often the watch reads /metrics: a scrape costs the platform a few queries of its own tables. */
const WATCH_SCRAPE_EVERY_MS = 5_000;
const WATCH_POLL_MS = 250;

/**
 * Watches for a retention round from outside the process, every 250 ms: its statements in
 * pg_stat_activity (a prune batch's DELETE, a partition's DETACH or DROP) and the number of
 * partitions of the partitioned tables (a round makes the coming days' and drops the due
 * ones, one at a time with a pause after each); and its counters in /metrics every 5 s. A
 * statement is seen only while it runs, a twentieth of a paced round, so the partitions
 * and counters carry most of the signs. The round began at the first sign and ended at the
 * last, once none has been seen for `quietMs` (longer than any pause retention makes between
 * two batches or drops, and than two scrapes apart). It watches both databases from the same
 * point of the run, on its own connection, so what watching costs weighs on both sides of
 * every ratio.
 */
export class RetentionWatch {
  firstSign?: number;
  lastSign?: number;
  private counters?: { pruned: number; partitions: number };
  private startCounters?: { pruned: number; partitions: number };
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly databaseUrl: string,
    private readonly url: string,
  ) {
    // Its connection may be closed under it when a run is cut short.
    this.loop = this.watch().catch(() => undefined);
  }

  private async watch(): Promise<void> {
    const client = new LoadClient();
    const database = new Client({ connectionString: this.databaseUrl });
    await database.connect();
    let tick = 0;
    let partitions: number | undefined;
    try {
      while (this.running) {
        const { rows } = await database.query<{ statements: number; partitions: number }>(
          `SELECT (SELECT count(*)::int FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')
                      AND (query ~* 'DELETE FROM (processed_messages|deliveries|notifications|failed_messages)' OR query ~* 'DETACH PARTITION' OR query ~* '^\\s*DROP TABLE')) AS statements,
                  (SELECT count(*)::int FROM pg_inherits WHERE inhparent = ANY($1::regclass[])) AS partitions`,
          [Object.keys(PARTITIONED)],
        );
        let sign = rows[0].statements > 0 || (partitions !== undefined && rows[0].partitions !== partitions);
        partitions = rows[0].partitions;
        if (tick % (WATCH_SCRAPE_EVERY_MS / WATCH_POLL_MS) === 0) {
          const counters = await retentionCounters(client, this.url);
          if (counters) {
            this.startCounters ??= counters;
            if (this.counters && (counters.pruned !== this.counters.pruned || counters.partitions !== this.counters.partitions)) sign = true;
            this.counters = counters;
          }
        }
        if (sign) {
          this.firstSign ??= performance.now();
          this.lastSign = performance.now();
        }
        tick += 1;
        await sleep(WATCH_POLL_MS);
      }
      // The counters as the round left them: the last scrape may be up to 5 s before its end.
      const counters = await retentionCounters(client, this.url);
      if (counters) this.counters = counters;
    } finally {
      client.close();
      await database.end();
    }
  }

  get started(): boolean {
    return this.firstSign !== undefined;
  }

  /** True once a round began and nothing of it has been seen for `quietMs`. */
  ended(quietMs: number): boolean {
    return this.lastSign !== undefined && performance.now() - this.lastSign > quietMs;
  }

  /** Rows deleted and partitions dropped since the watch began, by the metrics. */
  get removed(): { pruned: number; partitions: number } | undefined {
    if (!this.counters || !this.startCounters) return undefined;
    return { pruned: this.counters.pruned - this.startCounters.pruned, partitions: this.counters.partitions - this.startCounters.partitions };
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

export interface RssFigures {
  endpoints: number;
  /**
   * V8's heap in use (prom-client's nodejs_heap_size_used_bytes) after a full collection, before
   * the payments and once the connections have closed: what is still held, as against what RSS
   * keeps of the peak.
   */
  heapBeforeMb?: number;
  heapAfterMb?: number;
  beforeMb: number;
  peakMb: number;
  afterMb: number;
  /** Ten seconds on, idle, after another full collection. */
  laterMb: number;
  peakOpenConnections: number;
  /** From the last notification to the last keep-alive connection closed. */
  closedAfterS: number;
  notifyP50: number;
  notifyP99: number;
  notificationsPerSecond: number;
}

const mbOf = (bytes: number | undefined) => (bytes ?? 0) / 1024 / 1024;

/** The platform's V8 heap in use, from its /metrics (collectDefaultMetrics, prefix backstop_). */
async function heapUsedMb(client: LoadClient, url: string): Promise<number | undefined> {
  const answer = await client.send('GET', `${url}/metrics`).catch(() => undefined);
  const line = answer?.text.split('\n').find((each) => each.startsWith('backstop_nodejs_heap_size_used_bytes '));
  return line ? mbOf(Number(line.slice(line.lastIndexOf(' ') + 1))) : undefined;
}

/** A full garbage collection in the platform (bench/data/gc-on-signal.js), and a moment for V8 to give pages back. */
async function fullGc(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGWINCH');
  } catch {
    return;
  }
  await sleep(1_000);
}

async function medianRss(pid: number, samples: number): Promise<number> {
  const values: number[] = [];
  for (let index = 0; index < samples; index += 1) {
    values.push(processRss(pid) ?? 0);
    await sleep(200);
  }
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)];
}

async function inTurn<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

/**
 * One notification to each of `merchants`' origins, at once: every order placed and CONFIRMED
 * first, then all paid together (64 callbacks at a time), so the platform opens a keep-alive
 * connection pool to every origin. RSS of the platform before the payments, at the peak, and
 * after the idle connections have closed (MerchantClient closes them after 4 s); before and
 * after are read after a full garbage collection, so they compare what is held, not when V8
 * last collected.
 */
export async function rssAcrossEndpoints(
  system: { url: string; pid: number },
  farm: MerchantFarm,
  merchants: { id: string; notifyUrl: string }[],
  skus: string[],
  callbackSecret: string,
): Promise<RssFigures> {
  const client = new LoadClient();
  try {
    const orders: { id: string; amount: number }[] = [];
    let placed = 0;
    await inTurn(merchants, 16, async (merchant) => {
      const sku = skus[placed++ % skus.length];
      const created = await client.send('POST', `${system.url}/orders`, JSON.stringify({ merchantId: merchant.id, items: [{ sku, quantity: 1 }], notifyUrl: merchant.notifyUrl }));
      if (created.status !== 201) throw new Error(`POST /orders for ${merchant.id}: ${created.status} ${created.text.slice(0, 300)}`);
      const order = JSON.parse(created.text) as { id: string; totalAmount: number };
      const deadline = performance.now() + 60_000;
      for (;;) {
        await sleep(20);
        const answer = await client.send('GET', `${system.url}/orders/${order.id}`);
        const { status } = JSON.parse(answer.text) as { status: string };
        if (status === 'CONFIRMED') break;
        if (status !== 'PENDING' || performance.now() > deadline) throw new Error(`order ${order.id} is ${status}, not CONFIRMED`);
      }
      orders.push({ id: order.id, amount: order.totalAmount });
    });
    await sleep(1_000);
    await fullGc(system.pid);
    const heapBeforeMb = await heapUsedMb(client, system.url);
    const before = await medianRss(system.pid, 5);
    farm.resetPeak();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, processRss(system.pid) ?? 0)), 100);
    const notify: number[] = [];
    const began = performance.now();
    let lastAt = began;
    try {
      await inTurn(orders, 64, async (order) => {
        const notified = farm.expect(order.id);
        const body = JSON.stringify({ orderId: order.id, tradeNo: `rss-${order.id}`, status: 'TRADE_SUCCESS', amount: order.amount });
        const paying = performance.now();
        const paid = await client.send('POST', `${system.url}/payments/callback`, body, { 'x-signature': createHmac('sha256', callbackSecret).update(body).digest('hex') });
        if (paid.status !== 200) throw new Error(`POST /payments/callback for ${order.id}: ${paid.status} ${paid.text.slice(0, 300)}`);
        const at = await Promise.race([notified, sleep(60_000, 'timeout' as const)]);
        if (at === 'timeout') {
          farm.forget(order.id);
          throw new Error(`no notification of order ${order.id} within 60 s`);
        }
        notify.push(at - paying);
        lastAt = Math.max(lastAt, at);
      });
    } finally {
      clearInterval(sampler);
    }
    const seconds = (lastAt - began) / 1000;
    while (farm.open > 0 && performance.now() - lastAt < 30_000) await sleep(100);
    const closedAfterS = (performance.now() - lastAt) / 1000;
    await sleep(1_000);
    await fullGc(system.pid);
    const after = await medianRss(system.pid, 5);
    const heapAfterMb = await heapUsedMb(client, system.url);
    await sleep(10_000);
    await fullGc(system.pid);
    const later = await medianRss(system.pid, 5);
    notify.sort((a, b) => a - b);
    return {
      endpoints: merchants.length,
      heapBeforeMb,
      heapAfterMb,
      beforeMb: mbOf(before),
      peakMb: mbOf(peak),
      afterMb: mbOf(after),
      laterMb: mbOf(later),
      peakOpenConnections: farm.peakOpen,
      closedAfterS,
      notifyP50: percentile(notify, 0.5),
      notifyP99: percentile(notify, 0.99),
      notificationsPerSecond: merchants.length / Math.max(seconds, 0.001),
    };
  } finally {
    client.close();
  }
}

/** Whether processed_messages and deliveries are partitioned, for the printout. */
export function partitionNote(partitioned: string[]): string {
  const all = Object.keys(PARTITIONED);
  if (partitioned.length === 0) return 'processed_messages and deliveries are plain tables';
  return `${partitioned.join(' and ')} partitioned by day${partitioned.length < all.length ? `; ${all.filter((table) => !partitioned.includes(table)).join(', ')} plain` : ''}`;
}
