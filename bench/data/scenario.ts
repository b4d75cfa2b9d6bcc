/**
 * `npm run bench -- --scenario data [--scale N]`: backstop on an empty database and on one
 * grown to production size (bench/data/grow.ts), each figure printed for both with the ratio
 * grown / empty. The hot path under a steady load; every admin and console query (EXPLAINed
 * when over target); a retention round with the hot path beside it (grown only); RSS across
 * one notification to each of 2,000 merchant origins; a 100,000-row outbox drain with one
 * platform process and with two. docs/benchmarks.md describes it.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as connectBroker } from 'amqplib';
import { Client } from 'pg';
import { deliveryDelayQueueName } from '@backstop/transport';
import { secretsKey } from '../../src/config/secrets.config';
import { SecretCipher } from '../../src/merchants/secret-cipher';
import { ADMIN_TOKEN, CALLBACK_SECRET, SECRETS_KEY, TestWorld } from '../../test/support/test-world';
import { waitFor } from '../../test/support/wait-for';
import { LoadClient } from '../pipeline/closed-loop';
import { forgetStatements, localBrokerPid, machineCpuTicks, processCpuMs } from '../pipeline/probes';
import { buildIfStale, startBackstop, System } from '../pipeline/systems';
import { AdminFigure, adminQueries, adminSubjects, explain, measureAdmin, StatementCapture, TARGET_P99_MS } from './admin';
import { MerchantFarm } from './farm';
import { grow, growthPlan, GrowthPlan, GrowthReport, insertOutboxBacklog, merchantId, partitionedTables } from './grow';
import { combined, hotPath, HotPathResult, HotPathTarget } from './hot-path';
import { partitionNote, RetentionWatch, RssFigures, rssAcrossEndpoints, TableState, tableStates } from './phases';
import { dataReport } from './report';

export interface DataOptions {
  scale: number;
  /** Hot-path clients. */
  clients: number;
}

type UndoLater = (undo: () => Promise<unknown>) => () => Promise<void>;

/**
 * The platform's production settings where the test world's differ (it compresses schedules
 * and idles the circuit breaker); startBackstop adds RELAY_INTERVAL=1s (the default),
 * LOG_LEVEL=warn and NOTIFY_ALLOW_PRIVATE=true (the merchant endpoints are on this machine).
 */
const PRODUCTION = { NOTIFY_RETRY_SCHEDULE: '3s,30s,60s,120s,180s,300s', NOTIFY_TIMEOUT: '5s', HANDLER_RETRY_SCHEDULE: '1s,5s,30s', NOTIFY_CIRCUIT_MIN_REQUESTS: '10' };
/** The defaults the retention figures depend on (docs/configuration.md). */
const RETENTION = { processed: 7 * 86_400_000, history: 30 * 86_400_000 };
/** A worker's first retention round runs RETENTION_INTERVAL (5m, its default) after it starts: none at start, and no outside trigger. */
const RETENTION_FIRST_ROUND_MS = 5 * 60_000;
/** Node arguments of every platform process: a full garbage collection on SIGWINCH, for the RSS run (bench/data/gc-on-signal.js). */
const GC_ON_SIGNAL = ['--expose-gc', '--require', join(__dirname, 'gc-on-signal.js')];
/** Hot-path orders started per second: a steady, moderate load (each order is three requests). */
const HOT_RATE = 50;
/**
 * The SKUs the bench's orders are spread over. Orders of one SKU queue on its stock row (each
 * reservation locks it to its commit), and with every order on one, the reservations' waits
 * hold the pool's connections and starve the rest: not what a shop's spread of SKUs does.
 */
const SKUS = 50;
/** How long the bench watches a retention round, with the hot path beside it; the round goes on after. */
const RETENTION_WATCH_MAX_MS = 10 * 60_000;
const ADMIN_REQUESTS = 50;
const ADMIN_MAX_MS = 8_000;

export interface DrainFigures {
  processes: number;
  rows: number;
  /** From the platform listening to the outbox empty. */
  seconds: number;
  rowsPerSecond: number;
  hot: HotPathResult;
  /**
   * The machine's cores left idle over the drain, in % of all of them, and the RabbitMQ node's
   * CPU in % of one core (undefined when the broker is not on this machine): a drain that left
   * nothing idle was bound by the machine, and a second process has no core to add.
   */
  machineIdlePercent: number;
  brokerCpuPercent?: number;
}

export interface RetentionFigures {
  observed: boolean;
  /** The round ended while the bench watched it (it watches for at most RETENTION_WATCH_MAX_MS). */
  finished: boolean;
  /** When the round began, after the platform started. */
  beganAfterS?: number;
  /** How long it ran: to its end, or to when the bench stopped watching. */
  seconds?: number;
  before: TableState[];
  after: TableState[];
  prunedByMetrics?: number;
  partitionsDropped?: number;
  hot?: HotPathResult;
  notes: string[];
}

export interface WorldFigures {
  kind: 'empty' | 'grown';
  growth?: GrowthReport;
  partitioned: string[];
  hot: HotPathResult;
  admin: AdminFigure[];
  /** The machine's 1-minute load average after the admin queries. */
  adminLoad: number;
  explains: { label: string; p99: number; plan: string }[];
  retention?: RetentionFigures;
  /**
   * Empty only: the hot path over the grown database's round window (from the time its first
   * round is due, for as long as the bench watches a round), with no rows due: the same
   * measurement as the round's, to set its figures against.
   */
  roundWindow?: HotPathResult;
  rss: RssFigures;
  drains: DrainFigures[];
  notes: string[];
}

const log = (line: string) => process.stderr.write(`data: ${line}\n`);

export async function dataScenario(options: DataOptions, undoLater: UndoLater): Promise<void> {
  const began = performance.now();
  buildIfStale();
  const plan = growthPlan(options.scale);
  const farm = await MerchantFarm.start(plan.merchants);
  undoLater(() => farm.stop());
  log(`${plan.merchants} merchant endpoints listening (${farm.origins[0]} …)`);
  const cluster = new Client({ connectionString: (process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432') + '/postgres' });
  await cluster.connect();
  undoLater(() => cluster.end());
  const server = await serverSettings(cluster);
  const hotOrders = Math.max(300, Math.round(2_000 * Math.min(1, Math.max(options.scale, 0.25))));
  const drainRows = Math.max(1_000, Math.round(100_000 * options.scale));

  const emptyRun = await WorldRun.open('empty', plan, farm, undoLater);
  const grownRun = await WorldRun.open('grown', plan, farm, undoLater);
  // The drains in turn, A B B A: run a quarter of an hour apart, the two worlds' drains met
  // different states of the machine, and their ratio measured that more than the database.
  for (const [processes, turns] of [[1, [emptyRun, grownRun]], [2, [grownRun, emptyRun]]] as const) {
    for (const run of turns) await run.drain(processes, drainRows, options);
  }
  // The steady hot path in turns too, half of its orders each: measured a quarter of an hour
  // apart, the two databases' p99s met different states of the machine.
  const steady = new Map<WorldRun, HotPathResult[]>([[emptyRun, []], [grownRun, []]]);
  for (const run of [emptyRun, grownRun, grownRun, emptyRun]) steady.get(run)!.push(await run.steady(Math.ceil(hotOrders / 2), options));
  const empty = await emptyRun.measure(combined(steady.get(emptyRun)!), options, farm);
  await emptyRun.close();
  const grown = await grownRun.measure(combined(steady.get(grownRun)!), options, farm);
  await grownRun.close();

  console.log(
    dataReport({
      plan,
      empty,
      grown,
      settings: {
        clients: options.clients,
        hotRate: HOT_RATE,
        hotOrders,
        drainRows,
        adminRequests: ADMIN_REQUESTS,
        target: TARGET_P99_MS,
        platform: Object.entries(PRODUCTION).map(([name, value]) => `${name}=${value}`).join(' '),
        server,
      },
      minutes: (performance.now() - began) / 60_000,
    }),
  );
}

async function serverSettings(cluster: Client): Promise<string> {
  const { rows } = await cluster.query<{ name: string; setting: string }>(
    `SELECT name, current_setting(name) AS setting FROM pg_settings
      WHERE name IN ('server_version', 'shared_buffers', 'work_mem', 'autovacuum', 'max_wal_size', 'shared_preload_libraries') ORDER BY name`,
  );
  return rows.map((row) => `${row.name}=${row.setting || "''"}`).join(' ');
}

/** The merchants as the grown database registers them: one origin of the farm each, a secret under the world's SECRETS_KEY. */
function merchantSeeds(farm: MerchantFarm) {
  const cipher = new SecretCipher(secretsKey(SECRETS_KEY));
  return farm.origins.map((origin, index) => {
    const id = merchantId(index + 1);
    return { id, origin, secretEncrypted: cipher.encrypt(randomBytes(32), id) };
  });
}

/**
 * One world of the comparison, empty or grown: its database and broker vhost, the platform
 * processes started on it, and what is measured there. Opened (and grown) first; then its
 * drains, taken in turn with the other world's; then the rest of its figures.
 */
class WorldRun {
  readonly drains: DrainFigures[] = [];
  private readonly client = new LoadClient();
  /** Every process started here, stopped when no longer needed or when the run is cut short. */
  private readonly running = new Set<System>();
  private readonly skus: string[];
  private readonly merchants: { id: string; notifyUrl: string }[];
  /** Older orders for the hot path's second GET: a sample of the grown table; in an empty one, those placed so far. */
  private pool: string[] = [];
  private partitioned: string[] = [];
  private growth?: GrowthReport;
  private readonly destroyWorld: () => Promise<void>;

  private constructor(
    readonly kind: 'empty' | 'grown',
    private readonly world: TestWorld,
    farm: MerchantFarm,
    private readonly undoLater: UndoLater,
  ) {
    const prefix = `DATA-${randomBytes(3).toString('hex').toUpperCase()}`;
    this.skus = Array.from({ length: SKUS }, (_, index) => `${prefix}-${index + 1}`);
    this.merchants = farm.origins.map((origin, index) => ({ id: merchantId(index + 1), notifyUrl: `${origin}/notify` }));
    this.destroyWorld = undoLater(async () => {
      await forgetStatements(world.database);
      await world.destroy();
    });
    undoLater(() => this.stop(...this.running));
  }

  /** The world made, migrated by the platform's own start, and grown when it is the grown one. */
  static async open(kind: 'empty' | 'grown', plan: GrowthPlan, farm: MerchantFarm, undoLater: UndoLater): Promise<WorldRun> {
    const run = new WorldRun(kind, await TestWorld.create(`bench_data_${kind}`), farm, undoLater);
    const migrating = await run.start();
    await waitFor(async () => (await run.client.send('GET', `${migrating.url}/health/ready`)).status === 200, { timeoutMs: 60_000, intervalMs: 200, what: 'the platform to be ready' });
    await run.stop(migrating);
    run.partitioned = await partitionedTables(run.db);
    if (kind === 'grown') {
      log(`growing ${run.world.name} to scale ${plan.scale} (${partitionNote(run.partitioned)})`);
      run.growth = await grow(run.world.databaseUrl, plan, merchantSeeds(farm), (line) => log(`  ${line}`));
      log(`grown in ${run.growth.seconds.total.toFixed(0)} s`);
      const sample = await run.db.query<{ id: string }>(`SELECT id FROM orders TABLESAMPLE SYSTEM (${Math.min(100, (100 * 20_000) / plan.orders)}) LIMIT 20000`);
      run.pool = sample.rows.map((row) => row.id);
    }
    return run;
  }

  private get db(): Client {
    return this.world.database;
  }

  private async start(): Promise<System> {
    const system = await startBackstop(this.world, PRODUCTION, GC_ON_SIGNAL);
    this.running.add(system);
    return system;
  }

  private async stop(...systems: System[]): Promise<void> {
    await Promise.all(systems.map((system) => (this.running.delete(system) ? system.stop() : undefined)));
  }

  private target(systems: System[]): HotPathTarget {
    return {
      urls: systems.map((each) => each.url),
      pids: systems.map((each) => each.pid!),
      skus: this.skus,
      merchants: this.merchants.slice(0, 16),
      existing: () => (this.pool.length === 0 ? undefined : this.pool[Math.floor(Math.random() * this.pool.length)]),
      placed: this.kind === 'empty' ? (id) => this.pool.length < 20_000 && this.pool.push(id) : undefined,
    };
  }

  private async stock(system: System): Promise<void> {
    for (const sku of this.skus) {
      const stocked = await this.client.send('PUT', `${system.url}/admin/stock/${sku}`, JSON.stringify({ available: 1_000_000_000, unitPrice: 1999 }), {
        authorization: `Bearer ${ADMIN_TOKEN}`,
      });
      if (stocked.status !== 200) throw new Error(`PUT /admin/stock/${sku}: ${stocked.status} ${stocked.text}`);
    }
  }

  /** A backlog of `rows` drained by `processes` new platform processes, with the hot path beside them; they are stopped after. */
  async drain(processes: number, rows: number, options: DataOptions): Promise<void> {
    log(`${this.kind}: outbox drain, ${rows} rows, ${processes} process${processes > 1 ? 'es' : ''}`);
    // As autovacuum would have left it after the last drain's deletes.
    await this.db.query('VACUUM outbox');
    const backlogUntil = await insertOutboxBacklog(this.db, rows, this.pool.slice(0, 10_000));
    const systems = await Promise.all(Array.from({ length: processes }, () => this.start()));
    await this.stock(systems[0]);
    this.drains.push(await drainOutbox(this.db, this.client, this.target(systems), options, processes, rows, backlogUntil));
    await this.stop(...systems);
    await purgeDrainedEvents(this.world.rabbitmqUrl);
  }

  /** One turn of the steady hot path, `orders` after 100 not counted, on a new platform process stopped after it. */
  async steady(orders: number, options: DataOptions): Promise<HotPathResult> {
    log(`${this.kind}: hot path, ${orders} orders at ${HOT_RATE}/s`);
    const system = await this.start();
    await this.stock(system);
    const hot = await hotPath(this.client, this.target([system]), { clients: options.clients, rate: HOT_RATE, warmup: 100, orders });
    await this.stop(system);
    return hot;
  }

  /**
   * Everything but the drains and the steady hot path (`hot`, taken in turns), on one new
   * platform process: the admin and console queries, RSS across the merchant endpoints, and
   * the retention round (grown) or the hot path over the same window (empty), which come
   * five minutes after it starts.
   */
  async measure(hot: HotPathResult, options: DataOptions, farm: MerchantFarm): Promise<WorldFigures> {
    const { kind, db, client, merchants, skus, pool } = this;
    const notes: string[] = [];
    const target = (systems: System[]) => this.target(systems);
    await db.query('VACUUM outbox');
    const system = await this.start();
    const startedAt = performance.now();
    await this.stock(system);
    log(`${kind}: backstop ${system.url} (pid ${system.pid}), database ${this.world.name}`);
    const watch = new RetentionWatch(this.world.databaseUrl, system.url);
    const stopWatch = this.undoLater(async () => watch.stop());

    // The new process warmed as the steady turns' were (connections, plans, JIT) before the admin queries are timed.
    log(`${kind}: warming the process, 200 orders at ${HOT_RATE}/s`);
    await hotPath(client, target([system]), { clients: options.clients, rate: HOT_RATE, warmup: 200, orders: 1 });

    log(`${kind}: admin and console queries`);
    const subjects = await adminSubjects(db, farm.origins[0], pool[0]);
    const queries = await adminQueries(client, system.url, ADMIN_TOKEN, subjects);
    const admin = await measureAdmin(client, system.url, ADMIN_TOKEN, queries, ADMIN_REQUESTS, ADMIN_MAX_MS);
    const adminLoad = loadavg()[0];
    if (watch.started) notes.push('a retention round began during the admin queries: their figures include it');
    const explains: WorldFigures['explains'] = [];
    const slow = admin.filter((figure) => figure.p99 > TARGET_P99_MS);
    if (slow.length > 0) {
      const capture = await StatementCapture.open(this.world.databaseUrl);
      try {
        for (const figure of slow) {
          explains.push({ label: figure.label, p99: figure.p99, plan: await explain(capture, db, queries.find((query) => query.label === figure.label)!) });
        }
      } finally {
        await capture.close();
      }
    }

    const untilRound = () => RETENTION_FIRST_ROUND_MS - (performance.now() - startedAt);
    const roundAt = new Date(Date.now() + Math.max(0, untilRound()));
    let before: TableState[] | undefined;
    if (kind === 'grown') {
      log(`${kind}: counting rows due before the round`);
      before = await tableStates(db, roundAt, RETENTION);
      if (watch.started) notes.push('the retention round began before the rows due were counted: its removals are undercounted');
    }

    let rss: RssFigures | undefined;
    // Before the round when it fits well before it (about 60 ms an endpoint, and a margin); after it otherwise.
    if (kind === 'empty' || untilRound() > 30_000 + merchants.length * 60) {
      log(`${kind}: RSS across ${merchants.length} merchant endpoints`);
      rss = await rssAcrossEndpoints({ url: system.url, pid: system.pid! }, farm, merchants, skus, CALLBACK_SECRET);
      if (watch.started) notes.push('a retention round began during the RSS run: its figures include it');
    }

    let roundWindow: HotPathResult | undefined;
    if (kind === 'empty') roundWindow = await sameWindowAsRound(startedAt, client, target([system]), options);

    let retention: RetentionFigures | undefined;
    if (kind === 'grown') {
      retention = await retentionRound(db, watch, startedAt, roundAt, before!, client, target([system]), options);
      if (!rss) {
        if (retention.observed && !retention.finished) notes.push('the RSS run came after the retention round stopped being watched, while it still ran');
        log(`${kind}: RSS across ${merchants.length} merchant endpoints`);
        rss = await rssAcrossEndpoints({ url: system.url, pid: system.pid! }, farm, merchants, skus, CALLBACK_SECRET);
      }
    }
    await stopWatch();
    await this.stop(system);
    const { growth, partitioned, drains } = this;
    return { kind, growth, partitioned, hot, admin, adminLoad, explains, retention, roundWindow, rss: rss!, drains, notes };
  }

  async close(): Promise<void> {
    this.client.close();
    await this.stop(...this.running);
    await this.destroyWorld();
  }
}

/**
 * Waits for the first retention round (a worker runs one RETENTION_FIRST_ROUND_MS after it
 * starts, none before), runs the hot path for as long as it lasts (at most
 * RETENTION_WATCH_MAX_MS), and reads the retained tables after it: rows, rows due by the
 * round's start (`roundAt`), dead tuples, bytes; `before` is the same read before it.
 */
async function retentionRound(
  db: Client,
  watch: RetentionWatch,
  startedAt: number,
  roundAt: Date,
  before: TableState[],
  client: LoadClient,
  target: HotPathTarget,
  options: DataOptions,
): Promise<RetentionFigures> {
  const notes: string[] = [];
  const wait = RETENTION_FIRST_ROUND_MS - (performance.now() - startedAt);
  log(`grown: waiting ${Math.max(0, wait / 1000).toFixed(0)} s for the first retention round (5 min after start)`);
  const deadline = startedAt + RETENTION_FIRST_ROUND_MS + 120_000;
  while (!watch.started && performance.now() < deadline) await sleep(250);
  if (!watch.started) {
    notes.push('no retention round was seen within 2 min of when the first was due');
    return { observed: false, finished: false, before, after: before, notes };
  }
  log(`grown: retention round running; hot path beside it until it ends (at most ${RETENTION_WATCH_MAX_MS / 60_000} min)`);
  // A round is over when nothing of it has been seen for this long: longer than the pause
  // retention takes after a batch or a partition's drop (19 times it), and than two scrapes.
  const quietMs = 30_000;
  const capped = () => performance.now() - watch.firstSign! > RETENTION_WATCH_MAX_MS;
  const hot = await hotPath(client, target, { clients: options.clients, rate: HOT_RATE, warmup: 0, until: () => watch.ended(quietMs) || capped() });
  while (!watch.ended(quietMs) && !capped()) await sleep(250);
  const finished = watch.ended(quietMs);
  const watchedS = ((finished ? watch.lastSign! : performance.now()) - watch.firstSign!) / 1000;
  const removed = watch.removed;
  if (!finished) notes.push(`the round was still running after ${(watchedS / 60).toFixed(1)} min (the bench watches it no longer): its figures are up to then`);
  await sleep(1_500);
  const after = await tableStates(db, roundAt, RETENTION);
  return {
    observed: true,
    finished,
    beganAfterS: (watch.firstSign! - startedAt) / 1000,
    seconds: watchedS,
    before,
    after,
    prunedByMetrics: removed?.pruned,
    partitionsDropped: removed?.partitions,
    hot,
    notes,
  };
}

/**
 * On the empty database, the hot path where the grown one's round runs: from the time a
 * worker's first round is due, for the longest the bench watches a round. A p99 over ten
 * minutes meets every stall the machine has in them (checkpoints, other work); the grown
 * database's round is set against this, so that only what the round adds shows in the ratio.
 */
async function sameWindowAsRound(startedAt: number, client: LoadClient, target: HotPathTarget, options: DataOptions): Promise<HotPathResult> {
  const wait = RETENTION_FIRST_ROUND_MS - (performance.now() - startedAt);
  log(`empty: waiting ${Math.max(0, wait / 1000).toFixed(0)} s for the round's window, then the hot path for ${RETENTION_WATCH_MAX_MS / 60_000} min`);
  if (wait > 0) await sleep(wait);
  return hotPath(client, target, { clients: options.clients, rate: HOT_RATE, warmup: 0, maxMs: RETENTION_WATCH_MAX_MS });
}

/** The queue that holds each `order.confirmed` for its payment timeout (ORDER_PAYMENT_TIMEOUT, 30 min by default). */
const PAYMENT_TIMEOUT_DELAY = deliveryDelayQueueName('orders.payment-timeout', 30 * 60_000);

/**
 * Empties the delay queue a drain filled with its 100,000 events, so that each drain, and
 * each world's, starts with a broker holding none of an earlier one's, and a world's vhost is
 * deleted empty before the next world starts. Drained side by side in the same state of the
 * machine, a grown and an empty database drain alike; what the two sides of a drain's ratio
 * should differ in is the database, not what the broker still carries (docs/benchmarks.md).
 */
async function purgeDrainedEvents(rabbitmqUrl: string): Promise<void> {
  const connection = await connectBroker(rabbitmqUrl);
  try {
    const channel = await connection.createChannel();
    await channel.purgeQueue(PAYMENT_TIMEOUT_DELAY);
  } finally {
    await connection.close();
  }
}

/**
 * The hot path from the moment the platform listens until the backlog is gone (the rows
 * created before `backlogUntil`: the hot path's own orders pass through the outbox too);
 * rows/s over the same time.
 */
async function drainOutbox(
  db: Client,
  client: LoadClient,
  target: HotPathTarget,
  options: DataOptions,
  processes: number,
  rows: number,
  backlogUntil: Date,
): Promise<DrainFigures> {
  const listening = performance.now();
  const machineBefore = machineCpuTicks();
  const broker = localBrokerPid();
  const brokerBefore = broker === undefined ? undefined : processCpuMs(broker);
  let emptyAt: number | undefined;
  let failed: Error | undefined;
  const polling = (async () => {
    while (emptyAt === undefined && failed === undefined && performance.now() - listening < 15 * 60_000) {
      const [{ n }] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE state = 'READY' AND created_at <= $1`, [backlogUntil])).rows;
      if (n === 0) emptyAt = performance.now();
      else await sleep(200);
    }
  })().catch((error: Error) => {
    failed = error;
  });
  const hot = await hotPath(client, target, { clients: options.clients, rate: HOT_RATE, warmup: 0, until: () => emptyAt !== undefined || failed !== undefined, maxMs: 15 * 60_000 });
  await polling;
  if (failed) throw failed;
  const seconds = ((emptyAt ?? performance.now()) - listening) / 1000;
  const machineAfter = machineCpuTicks();
  const brokerAfter = broker === undefined ? undefined : processCpuMs(broker);
  return {
    processes,
    rows,
    seconds,
    rowsPerSecond: rows / seconds,
    hot,
    machineIdlePercent: (100 * (machineAfter.idle - machineBefore.idle)) / (machineAfter.total - machineBefore.total),
    brokerCpuPercent: brokerBefore === undefined || brokerAfter === undefined ? undefined : (brokerAfter - brokerBefore) / (10 * seconds),
  };
}
