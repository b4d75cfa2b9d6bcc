import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { LoadClient } from '../pipeline/closed-loop';
import { percentile } from '../pipeline/measure';
import { processCpuMs } from '../pipeline/probes';

/** Where the hot path goes: one platform process, or several taken in turn (a balancer's round robin). */
export interface HotPathTarget {
  urls: string[];
  pids: number[];
  /** The SKUs ordered, one per order in turn: spread as a shop's orders are, not all on one stock row. */
  skus: string[];
  /** The merchants the orders are for, in turn: their ids and notify URLs. */
  merchants: { id: string; notifyUrl: string }[];
  /** An order that exists already, for the GET of an older order; undefined until there is one. */
  existing(): string | undefined;
  /** Told of each order placed (an empty database's pool of existing orders grows with them). */
  placed?(orderId: string): void;
}

export interface HotPathOptions {
  clients: number;
  /** Orders started per second, all clients together: a steady, moderate load rather than as fast as it goes. */
  rate: number;
  /** Orders before anything is recorded (JIT, pools, caches). */
  warmup: number;
  /** Stop after this many recorded orders… */
  orders?: number;
  /** …or once this says so (checked before each order, after the warm-up). */
  until?: () => boolean;
  /** Give up recording after this long, whatever else says. */
  maxMs?: number;
}

/** Latencies in ms, sorted, of the recorded orders. */
export interface HotPathResult {
  orders: number;
  seconds: number;
  ordersPerSecond: number;
  post: number[];
  getPlaced: number[];
  getExisting: number[];
  errors: number;
  firstError?: string;
  /** The platform processes' CPU over the window, in % of one core (all of them together). */
  cpuPercent?: number;
  /** The machine's 1-minute load average when the window closed: what else ran beside it (two cores: above 2, queueing). */
  loadAverage: number;
  /** `POST /orders` by half minute of the window, by wall clock: where in a long window its tail lies (to set beside the database's log). */
  postBySlice: { from: Date; orders: number; p99: number }[];
}

const SLICE_MS = 30_000;

/**
 * The hot path under a steady load: each order is `POST /orders`, then `GET /orders/:id` of the
 * order just placed, then `GET /orders/:id` of an older one (a random row of a big table in a
 * grown database, not the one just written). Orders start on a fixed schedule (`rate` a
 * second, spread over `clients`), so two runs put the same load on the platform and a slower
 * platform shows as latency, not as less load; a client that falls behind starts its next
 * order at once.
 */
export async function hotPath(client: LoadClient, target: HotPathTarget, options: HotPathOptions): Promise<HotPathResult> {
  const post: number[] = [];
  const postEnded: number[] = [];
  const getPlaced: number[] = [];
  const getExisting: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  let recorded = 0;
  let stop = false;
  const began = performance.now();
  let windowStart = 0;
  let windowEnd = 0;
  let cpuAtStart: number | undefined;
  const cpuNow = () => {
    const readings = target.pids.map((pid) => processCpuMs(pid));
    return readings.some((reading) => reading === undefined) ? undefined : readings.reduce((sum, reading) => sum! + reading!, 0);
  };
  const timed = async (method: string, url: string, body?: string, expected = 200) => {
    const started = performance.now();
    const answer = await client.send(method, url, body);
    const ms = performance.now() - started;
    if (answer.status !== expected) throw new Error(`${method} ${url}: ${answer.status} ${answer.text.slice(0, 200)}`);
    return { ms, text: answer.text };
  };

  const runClient = async () => {
    while (!stop) {
      const index = next++;
      const recording = index >= options.warmup;
      if (recording && index === options.warmup) {
        windowStart = performance.now();
        cpuAtStart = cpuNow();
      }
      if (recording && ((options.orders !== undefined && index >= options.warmup + options.orders) || options.until?.() || (options.maxMs !== undefined && performance.now() - windowStart > options.maxMs))) {
        stop = true;
        break;
      }
      const due = began + (index * 1000) / options.rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const url = target.urls[index % target.urls.length];
      const merchant = target.merchants[index % target.merchants.length];
      try {
        const created = await timed(
          'POST',
          `${url}/orders`,
          JSON.stringify({ merchantId: merchant.id, items: [{ sku: target.skus[index % target.skus.length], quantity: 1 }], notifyUrl: merchant.notifyUrl }),
          201,
        );
        const { id } = JSON.parse(created.text) as { id: string };
        const placed = await timed('GET', `${url}/orders/${id}`);
        const older = target.existing();
        const existing = older === undefined ? undefined : await timed('GET', `${url}/orders/${older}`);
        target.placed?.(id);
        if (recording) {
          post.push(created.ms);
          postEnded.push(Date.now());
          getPlaced.push(placed.ms);
          if (existing) getExisting.push(existing.ms);
          recorded += 1;
          windowEnd = performance.now();
        }
      } catch (error) {
        errors += 1;
        firstError ??= (error as Error).message;
        if (errors > 50) {
          stop = true;
          throw new Error(`the hot path failed ${errors} times; first: ${firstError}`);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, runClient));
  const cpuAtEnd = cpuNow();
  const seconds = Math.max(0.001, (windowEnd - windowStart) / 1000);
  const sorted = (values: number[]) => values.sort((a, b) => a - b);
  const slices = new Map<number, number[]>();
  postEnded.forEach((ended, index) => {
    const from = ended - (ended % SLICE_MS);
    const slice = slices.get(from);
    if (slice) slice.push(post[index]);
    else slices.set(from, [post[index]]);
  });
  const postBySlice = [...slices].sort(([a], [b]) => a - b).map(([from, values]) => ({ from: new Date(from), orders: values.length, p99: p99(sorted(values))! }));
  return {
    orders: recorded,
    seconds,
    ordersPerSecond: recorded / seconds,
    post: sorted(post),
    getPlaced: sorted(getPlaced),
    getExisting: sorted(getExisting),
    errors,
    firstError,
    loadAverage: loadavg()[0],
    postBySlice,
    cpuPercent: cpuAtStart === undefined || cpuAtEnd === undefined ? undefined : ((cpuAtEnd - cpuAtStart) / ((windowEnd - windowStart) || 1)) * 100,
  };
}

/**
 * Several windows of the hot path as one: percentiles over every order of them, the rate over
 * their summed time, the CPU weighted by each window's time, the highest load average.
 */
export function combined(results: HotPathResult[]): HotPathResult {
  const all = (pick: (result: HotPathResult) => number[]) => results.flatMap(pick).sort((a, b) => a - b);
  const orders = results.reduce((sum, result) => sum + result.orders, 0);
  const seconds = results.reduce((sum, result) => sum + result.seconds, 0);
  const cpu = results.every((result) => result.cpuPercent !== undefined)
    ? results.reduce((sum, result) => sum + result.cpuPercent! * result.seconds, 0) / seconds
    : undefined;
  return {
    orders,
    seconds,
    ordersPerSecond: orders / seconds,
    post: all((result) => result.post),
    getPlaced: all((result) => result.getPlaced),
    getExisting: all((result) => result.getExisting),
    errors: results.reduce((sum, result) => sum + result.errors, 0),
    firstError: results.find((result) => result.firstError)?.firstError,
    cpuPercent: cpu,
    loadAverage: Math.max(...results.map((result) => result.loadAverage)),
    postBySlice: results.flatMap((result) => result.postBySlice),
  };
}

export const p50 = (sorted: number[]) => (sorted.length === 0 ? undefined : percentile(sorted, 0.5));
export const p99 = (sorted: number[]) => (sorted.length === 0 ? undefined : percentile(sorted, 0.99));
