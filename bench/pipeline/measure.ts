import { performance } from 'node:perf_hooks';
import { closedLoop, LoadClient, Merchant, OrderTiming, Target } from './closed-loop';
import { BackendCpu, DatabaseProbe, localBrokerPid, processCpuMs, processRss } from './probes';

export interface MeasureOptions {
  clients: number;
  warmup: number;
  /** The window opens no sooner than this after the first order (JIT, pools and PostgreSQL's stats reporting settle). */
  warmupMs: number;
  orders: number;
  pollMs: number;
  /** How often RSS (and the database backends' CPU) are sampled. */
  sampleEveryMs: number;
  /** How many of the most called statements to keep. */
  top: number;
  progress: boolean;
}

/** One system's figures over the measured window; undefined where it could not be measured. */
export interface Measurement {
  system: string;
  orders: number;
  seconds: number;
  ordersPerSecond: number;
  confirmP50: number;
  confirmP99: number;
  notifyP50: number;
  notifyP99: number;
  callbackP50: number;
  callbackP99: number;
  totalP50: number;
  totalP99: number;
  pollsPerOrder: number;
  statementsPerOrder?: number;
  transactionsPerOrder?: number;
  cpuMsPerOrder?: number;
  postgresCpuMsPerOrder?: number;
  /** The RabbitMQ node's CPU, when it runs on this machine (`localBrokerPid`). */
  brokerCpuMsPerOrder?: number;
  /**
   * RSS after warm-up: the median of the samples taken while the second 10% of all orders
   * (warm-up included) were done; at end: the median of those of the last 10%. Medians,
   * because one sample may catch the heap just before or just after a collection.
   */
  rssAfterWarmup?: number;
  rssAtEnd?: number;
  rssPeak?: number;
  rssGrowthPercent?: number;
  loadGeneratorCpuMsPerOrder: number;
  duplicateNotifications: number;
  topStatements: { callsPerOrder: number; query: string }[];
  warnings: string[];
}

interface Edge {
  at: number;
  cpuMs?: number;
  transactions?: number;
  brokerCpuMs?: number;
  loadGeneratorCpuMs: number;
}

/** One window of the closed loop against one system: its raw figures, which add up with other windows'. */
export interface Window {
  timings: OrderTiming[];
  seconds: number;
  cpuMs?: number;
  transactions?: number;
  statements?: number;
  postgresCpuMs?: number;
  brokerCpuMs?: number;
  loadGeneratorCpuMs: number;
  /** RSS over the second 10% of the window's orders (warm-up included), and over its last 10%. */
  rssEarly?: number;
  rssLate?: number;
  rssPeak?: number;
  duplicateNotifications: number;
  top: { calls: number; query: string }[];
  warnings: string[];
}

/** Runs the closed loop against one system, its figures over one window. */
export async function measure(
  system: { name: string; pid?: number },
  target: Target,
  merchant: Merchant,
  probe: DatabaseProbe | undefined,
  options: MeasureOptions,
): Promise<Measurement> {
  return summarize(system.name, [await measureWindow(system, target, merchant, probe, options)]);
}

/**
 * Runs the closed loop against one system and reads its process (CPU, RSS) and its
 * database (statements, transactions, backend CPU) at both edges of the window.
 */
export async function measureWindow(
  system: { name: string; pid?: number },
  target: Target,
  merchant: Merchant,
  probe: DatabaseProbe | undefined,
  options: MeasureOptions,
): Promise<Window> {
  const client = new LoadClient();
  const backends = probe && new BackendCpu(probe);
  const warnings: string[] = [];
  const rssSamples: { completed: number; rss: number }[] = [];
  const allOrders = options.warmup + options.orders;
  const warmMark = Math.max(1, Math.ceil(allOrders * 0.1));
  let completedSoFar = 0;
  let start: Edge | undefined;
  let end: Edge | undefined;
  let statements: number | undefined;
  let evictions: number | undefined;
  let top: { calls: number; query: string }[] = [];
  let inWindow = false;
  const duplicatesBefore = merchant.duplicates;

  const broker = localBrokerPid();
  const edge = async (): Promise<Edge> => {
    const usage = process.cpuUsage();
    return {
      at: performance.now(),
      cpuMs: system.pid === undefined ? undefined : processCpuMs(system.pid),
      transactions: probe ? await probe.transactions() : undefined,
      brokerCpuMs: broker === undefined ? undefined : processCpuMs(broker),
      loadGeneratorCpuMs: (usage.user + usage.system) / 1000,
    };
  };
  const sampler = setInterval(() => {
    const rss = system.pid === undefined ? undefined : processRss(system.pid);
    if (rss !== undefined) rssSamples.push({ completed: completedSoFar, rss });
    if (inWindow) void backends?.sample().catch(() => undefined);
  }, options.sampleEveryMs);
  let lastReport = 0;

  try {
    const { timings, seconds } = await closedLoop(client, merchant, target, {
      ...options,
      atStart: async () => {
        start = await edge();
        await probe?.resetStatements();
        evictions = await probe?.evictions();
        await backends?.begin();
        inWindow = true;
      },
      atEnd: async () => {
        const cpuMs = system.pid === undefined ? undefined : processCpuMs(system.pid);
        statements = await probe?.statements();
        await backends?.sample();
        inWindow = false;
        end = { ...(await edge()), cpuMs };
        const evictedSince = await probe?.evictions();
        if (evictions !== undefined && evictedSince !== undefined && evictedSince > evictions) {
          warnings.push(
            `pg_stat_statements evicted ${evictedSince - evictions} entries (of any database) during the window: ` +
              'the statement count may be a little low (pg_stat_statements.max)',
          );
        }
        if (options.top > 0 && probe) top = await probe.topStatements(options.top);
      },
      onCompleted: (completed) => {
        completedSoFar = completed;
        if ((completed === warmMark || completed === allOrders - warmMark) && system.pid !== undefined) {
          const rss = processRss(system.pid);
          if (rss !== undefined) rssSamples.push({ completed, rss });
        }
        if (options.progress && performance.now() - lastReport > 10_000) {
          lastReport = performance.now();
          const rss = system.pid === undefined ? undefined : processRss(system.pid);
          process.stderr.write(`  ${system.name}: ${completed}/${allOrders} orders${rss ? `, RSS ${mb(rss)} MB` : ''}\n`);
        }
      },
    });
    const rssNow = system.pid === undefined ? undefined : processRss(system.pid);
    if (rssNow !== undefined) rssSamples.push({ completed: completedSoFar, rss: rssNow });
    const rssBetween = (from: number, to: number) =>
      median(rssSamples.filter(({ completed }) => completed >= from && completed <= to).map(({ rss }) => rss));
    return {
      timings,
      seconds,
      cpuMs: start!.cpuMs === undefined || end!.cpuMs === undefined ? undefined : end!.cpuMs - start!.cpuMs,
      transactions: start!.transactions === undefined || end!.transactions === undefined ? undefined : end!.transactions - start!.transactions,
      statements,
      postgresCpuMs: backends?.totalMs(),
      brokerCpuMs: start!.brokerCpuMs === undefined || end!.brokerCpuMs === undefined ? undefined : end!.brokerCpuMs - start!.brokerCpuMs,
      loadGeneratorCpuMs: end!.loadGeneratorCpuMs - start!.loadGeneratorCpuMs,
      rssEarly: rssBetween(warmMark, 2 * warmMark),
      rssLate: rssBetween(allOrders - warmMark, Infinity),
      rssPeak: rssSamples.length > 0 ? Math.max(...rssSamples.map(({ rss }) => rss)) : undefined,
      duplicateNotifications: merchant.duplicates - duplicatesBefore,
      top,
      warnings,
    };
  } finally {
    clearInterval(sampler);
    client.close();
  }
}


/** The figures of one system over its windows, as if they were one: percentiles over every order, rates over their summed time. */
export function summarize(system: string, windows: Window[]): Measurement {
  const timings = windows.flatMap((window) => window.timings);
  const orders = timings.length;
  const seconds = windows.reduce((sum, window) => sum + window.seconds, 0);
  const perOrder = (key: 'cpuMs' | 'transactions' | 'statements' | 'postgresCpuMs' | 'brokerCpuMs' | 'loadGeneratorCpuMs') =>
    windows.some((window) => window[key] === undefined) ? undefined : windows.reduce((sum, window) => sum + window[key]!, 0) / orders;
  const pick = (key: keyof OrderTiming) => timings.map((timing) => timing[key]).sort((a, b) => a - b);
  const [confirm, notify, callback, total] = [pick('confirmMs'), pick('notifyMs'), pick('callbackMs'), pick('totalMs')];
  const rssAfterWarmup = windows[0].rssEarly;
  const rssAtEnd = windows.at(-1)!.rssLate;
  const peaks = windows.map((window) => window.rssPeak).filter((peak): peak is number => peak !== undefined);
  const calls = new Map<string, number>();
  for (const { query, calls: n } of windows.flatMap((window) => window.top)) calls.set(query, (calls.get(query) ?? 0) + n);
  return {
    system,
    orders,
    seconds,
    ordersPerSecond: orders / seconds,
    confirmP50: percentile(confirm, 0.5),
    confirmP99: percentile(confirm, 0.99),
    notifyP50: percentile(notify, 0.5),
    notifyP99: percentile(notify, 0.99),
    callbackP50: percentile(callback, 0.5),
    callbackP99: percentile(callback, 0.99),
    totalP50: percentile(total, 0.5),
    totalP99: percentile(total, 0.99),
    pollsPerOrder: timings.reduce((sum, timing) => sum + timing.polls, 0) / orders,
    statementsPerOrder: perOrder('statements'),
    transactionsPerOrder: perOrder('transactions'),
    cpuMsPerOrder: perOrder('cpuMs'),
    postgresCpuMsPerOrder: perOrder('postgresCpuMs'),
    brokerCpuMsPerOrder: perOrder('brokerCpuMs'),
    rssAfterWarmup,
    rssAtEnd,
    rssPeak: peaks.length > 0 ? Math.max(...peaks) : undefined,
    rssGrowthPercent: rssAfterWarmup && rssAtEnd ? ((rssAtEnd - rssAfterWarmup) / rssAfterWarmup) * 100 : undefined,
    loadGeneratorCpuMsPerOrder: perOrder('loadGeneratorCpuMs')!,
    duplicateNotifications: windows.reduce((sum, window) => sum + window.duplicateNotifications, 0),
    topStatements: [...calls].sort((a, b) => b[1] - a[1]).slice(0, windows[0].top.length).map(([query, n]) => ({ callsPerOrder: n / orders, query })),
    warnings: [...new Set(windows.flatMap((window) => window.warnings))],
  };
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * fraction) - 1))];
}

export function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
