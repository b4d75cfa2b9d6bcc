/**
 * The pipeline benchmark: a closed loop over the HTTP API (create an order, poll it until
 * CONFIRMED, pay it with a signed gateway callback, wait for the merchant's notification),
 * run in the same session against backstop (`node dist/main.js`, its own process, database
 * and vhost) and against a hand-written baseline doing the same durable steps
 * (bench/baseline/main.ts), printed as ratios to the baseline so that the figures mean
 * something on any machine. `npm run bench -- --help` lists the flags.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { ADMIN_TOKEN, CALLBACK_SECRET, TestWorld } from '../test/support/test-world';
import { LoadClient, Merchant, Target } from './pipeline/closed-loop';
import { measure, Measurement, MeasureOptions, measureWindow, summarize, Window } from './pipeline/measure';
import { dataScenario } from './data/scenario';
import { burst, slowdown } from './pipeline/busy-merchants';
import { noisyNeighbour } from './pipeline/noisy-neighbour';
import { DatabaseProbe } from './pipeline/probes';
import { comparisonTable, jsonLine, medianOf, singleTable, soakSummary, topStatementsTable } from './pipeline/report';
import { buildIfStale, startBackstop, startBaseline, System } from './pipeline/systems';

const USAGE = `npm run bench -- [flags]

  --clients N            concurrent closed-loop clients (32; 16 with --scenario noisy)
  --orders N             measured orders per system (1000; 20000 with --soak); with both systems, in four
                         turns each, taken A B B A A B B A so that the machine's drift falls on both alike
  --warmup N             orders before the window opens, not counted (2000, or 5% of --orders if more;
                         and at least 2 s unless 0): each process's first ~15 s run while V8 still compiles
  --poll-ms N            pause between two GET /orders/:id of one client (10)
  --runs N               repeat the whole comparison N times; medians at the end (1)
  --json                 also print one JSON line per run
  --top N                list the N statements each system calls most (0)
  --cpu-prof DIR         write a CPU profile of each system's process into DIR/<system> (node --cpu-prof)
  --soak                 a long run of backstop alone: RSS after warm-up and at the end
  --systems LIST         which systems to drive, of backstop,baseline (both; backstop alone with --soak);
                         backstop,backstop drives two copies of backstop in turns, as it drives both
                         systems: their ratios show how far two identical systems differ in one run
  --second-env K=V,...   with backstop,backstop: settings of the second copy only (an A/B of a setting),
                         printed beside the figures
  --mode http            the HTTP micro-benchmarks instead (bench/http.bench.ts)
  --scenario noisy       the noisy-neighbour run instead (G9): orders spread over --endpoints merchant
                         origins, of which a share never answer; healthy notification p50/p99 and
                         orders/s as ratios to the same with none hanging; each configuration in two
                         turns, none, 10%, 30%, 30%, 10%, none (800 orders after 100 warm-up a turn,
                         16 clients)
  --endpoints N          merchant endpoints in the noisy-neighbour run (10)
  --hanging LIST         shares of them that hang, each a run of its own (0.1,0.3)
  --scenario data        production-size data instead: every figure on an empty database and on one grown to
                         --scale times 2M orders, 3M deliveries, 5M processed messages, 300k failed messages and
                         2,000 merchants, with the ratio grown / empty: the hot path, a retention round beside it,
                         a 100k-row outbox drain (one process, then two), every admin and console query (EXPLAINed
                         when its p99 is over 50 ms), RSS across one notification to each of 2,000 origins
                         (12 hot-path clients; --clients sets them)
  --scale N              the grown database's size in production sizes, fractions allowed: 0.1 for a quick try (1)
  --scenario burst       bursts instead: --clients (32) notifications at once to one fast merchant, --orders (20)
                         bursts, on backstop with its defaults and on the baseline; notify p50/p99 and their ratio
  --scenario slowdown    one of 10 merchants slows from 10 ms to 2 s answers a third of the way through --orders
                         (1500) orders from --clients (16), and is fast again two thirds in: its endpoint's adaptive
                         limit over time, and the other merchants' notify p50/p99 against before it slowed

  Against a platform already running (nothing is spawned; figures printed raw):
  --url URL              its base URL
  --admin-token T        its ADMIN_TOKEN (to create the benchmark's SKU)
  --callback-secret S    its PAYMENT_CALLBACK_SECRET
  --merchant-host H      where the merchant endpoint listens (127.0.0.1; 0.0.0.0 for a remote platform)
  --merchant-port N      its port (any free one)
  --merchant-url URL     the base URL the platform reaches it at (http://127.0.0.1:<port>)
  --database-url URL     optional: the platform's database, for SQL statement and transaction counts
  --pid N                optional: the platform's process on this machine, for CPU and RSS`;

const { values: flags } = parseArgs({
  options: {
    mode: { type: 'string', default: 'pipeline' },
    scenario: { type: 'string' },
    endpoints: { type: 'string', default: '10' },
    scale: { type: 'string', default: '1' },
    hanging: { type: 'string', default: '0.1,0.3' },
    clients: { type: 'string' },
    orders: { type: 'string' },
    warmup: { type: 'string' },
    'poll-ms': { type: 'string', default: '10' },
    runs: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    top: { type: 'string', default: '0' },
    'cpu-prof': { type: 'string' },
    soak: { type: 'boolean', default: false },
    systems: { type: 'string' },
    'second-env': { type: 'string' },
    url: { type: 'string' },
    'admin-token': { type: 'string', default: ADMIN_TOKEN },
    'callback-secret': { type: 'string', default: CALLBACK_SECRET },
    'merchant-host': { type: 'string' },
    'merchant-port': { type: 'string', default: '0' },
    'merchant-url': { type: 'string' },
    'database-url': { type: 'string' },
    pid: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

function count(name: string, value: string | undefined, minimum: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < minimum) throw new Error(`--${name} must be an integer >= ${minimum}, not ${value}`);
  return parsed;
}

const WARMUP_ORDERS = 2_000;
const orders = count('orders', flags.orders, 1) ?? (flags.soak ? 20_000 : 1000);
const options: MeasureOptions = {
  clients: count('clients', flags.clients, 1) ?? 32,
  orders,
  // Long enough for V8 to have compiled both systems' hot code: over a fresh process's first
  // 1,500 orders or so its compiler threads take several times their later CPU, more for the
  // larger program, and a window opened earlier measures how fast each compiles
  // (docs/benchmarks.md#warm-up).
  warmup: count('warmup', flags.warmup, 0) ?? Math.max(WARMUP_ORDERS, Math.round(orders * 0.05)),
  warmupMs: flags.warmup === '0' ? 0 : 2_000,
  pollMs: count('poll-ms', flags['poll-ms'], 0)!,
  sampleEveryMs: flags.soak ? 5_000 : 1_000,
  top: count('top', flags.top, 0)!,
  progress: flags.soak || orders >= 5_000,
};
const runs = count('runs', flags.runs, 1)!;
const SKU = `BENCH-${randomBytes(3).toString('hex').toUpperCase()}`;

/** Whatever must be undone, newest first: processes, worlds, the merchant. */
const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | undefined;
let interrupted = false;

/** Runs once, whoever asks first (the end of the run, an error, a signal); later callers wait for it. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  })();
  return cleaning;
}

/** Registers an undo step; the function returned runs it now, once (cleanUp then only waits for it). */
function undoLater(undo: () => Promise<unknown>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = () => (done ??= undo().then(() => undefined, (error: Error) => console.error(`cleanup: ${error.message}`)));
  cleanups.push(once);
  return once;
}

async function setStock(client: LoadClient, url: string, adminToken: string): Promise<void> {
  const answer = await client.send('PUT', `${url}/admin/stock/${SKU}`, JSON.stringify({ available: 1_000_000_000, unitPrice: 1999 }), {
    authorization: `Bearer ${adminToken}`,
  });
  if (answer.status !== 200) throw new Error(`PUT /admin/stock/${SKU}: ${answer.status} ${answer.text}`);
}

async function connect(connectionString: string): Promise<Client> {
  const client = new Client({ connectionString });
  await client.connect();
  return client;
}

type SystemName = 'backstop' | 'baseline';

/** One system started in a world of its own, ready to be measured; `stop` takes it all down again. */
interface Spawned {
  /** Its column in the tables: the system's name, or the second copy's label. */
  name: string;
  system: System;
  target: Target;
  probe: DatabaseProbe;
  stop(): Promise<void>;
}

/** A copy of a system to start: which system, the label of its column, and settings of its own (backstop only). */
interface Copy {
  system: SystemName;
  label: string;
  environment: Record<string, string>;
}

async function startSpawned({ system: name, label, environment }: Copy, notifyUrl: string): Promise<Spawned> {
  const world = await TestWorld.create(`bench_${name}`);
  const destroyWorld = undoLater(() => world.destroy());
  // The label as a path segment: each copy its own profile directory and merchant path.
  const slug = label.replace(/\s+/g, '-');
  const profile = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}/${slug}`] : [];
  const system: System =
    name === 'backstop'
      ? await startBackstop(world, environment, profile)
      : await startBaseline(world, profile);
  const stopSystem = undoLater(() => system.stop());
  const cluster = await connect(world.databaseUrl.replace(/\/[^/]+$/, '/postgres'));
  const closeCluster = undoLater(() => cluster.end());
  const setup = new LoadClient();
  await setStock(setup, system.url, ADMIN_TOKEN);
  setup.close();
  const probe = await DatabaseProbe.open(world.database, cluster);
  process.stderr.write(`${label}: ${system.url} (pid ${system.pid}), database ${world.name}\n`);
  const target: Target = { url: system.url, callbackSecret: CALLBACK_SECRET, sku: SKU, notifyUrl: `${notifyUrl}/notify/${slug}` };
  return {
    name: label,
    system,
    target,
    probe,
    stop: async () => {
      await closeCluster();
      await stopSystem();
      await probe.forgetStatements();
      await destroyWorld();
    },
  };
}

/** Starts one system, measures it in one window, and takes it all down again. */
async function runSpawned(copy: Copy, merchant: Merchant, notifyUrl: string): Promise<Measurement> {
  const spawned = await startSpawned(copy, notifyUrl);
  try {
    return withProbeWarning(spawned.probe, await measure(spawned.system, spawned.target, merchant, spawned.probe, options));
  } finally {
    await spawned.stop();
  }
}

/**
 * The two systems side by side, measured in turns: A B B A, then A B B A again (B first on
 * every other run), a quarter of the orders each turn. The machine's speed drifts by more
 * than the gap between the systems within a minute (other tenants, PostgreSQL's checkpoints);
 * in this order a drift that is steady over the run falls on both alike, where one after the
 * other it would fall on one. A turn after the first opens its window once each client has
 * done two orders, so the loop is full again.
 */
async function runInTurns(run: number, copies: Copy[], merchant: Merchant, notifyUrl: string): Promise<Measurement[]> {
  const started: Spawned[] = [];
  try {
    for (const copy of copies) started.push(await startSpawned(copy, notifyUrl));
    const [a, b] = run % 2 === 1 ? started : [...started].reverse();
    const windows = new Map<Spawned, Window[]>(started.map((spawned) => [spawned, []]));
    for (const turn of [a, b, b, a, a, b, b, a]) {
      const first = windows.get(turn)!.length === 0;
      const window = await measureWindow(turn.system, turn.target, merchant, turn.probe, {
        ...options,
        orders: Math.ceil(options.orders / TURNS),
        warmup: first ? options.warmup : 2 * options.clients,
        warmupMs: first ? options.warmupMs : 0,
      });
      windows.get(turn)!.push(window);
    }
    return started.map((spawned) => withProbeWarning(spawned.probe, summarize(spawned.name, windows.get(spawned)!)));
  } finally {
    for (const spawned of started.reverse()) await spawned.stop();
  }
}

/** Turns each system takes in one run of `runInTurns`. */
const TURNS = 4;

function withProbeWarning(probe: DatabaseProbe, measurement: Measurement): Measurement {
  if (probe.statementsProblem) measurement.warnings.push(`SQL statements: n/a (${probe.statementsProblem})`);
  return measurement;
}

/** A platform that runs already: only what it lets us see. */
async function runRemote(url: string, merchant: Merchant, notifyUrl: string): Promise<Measurement> {
  const setup = new LoadClient();
  await setStock(setup, url, flags['admin-token']!);
  setup.close();
  let probe: DatabaseProbe | undefined;
  if (flags['database-url']) {
    const target = await connect(flags['database-url']);
    undoLater(() => target.end());
    probe = await DatabaseProbe.open(target, target);
  }
  const pid = count('pid', flags.pid, 1);
  const target: Target = { url, callbackSecret: flags['callback-secret']!, sku: SKU, notifyUrl: `${notifyUrl}/notify/remote` };
  const measurement = await measure({ name: 'platform', pid }, target, merchant, probe, options);
  if (probe?.statementsProblem) measurement.warnings.push(`SQL statements: n/a (${probe.statementsProblem})`);
  return measurement;
}

function printRun(run: number, measurements: Measurement[]): void {
  const [first, second] = measurements;
  console.log(
    `\nrun ${run}/${runs}: ${options.orders} orders measured after ${options.warmup} warm-up, ${options.clients} clients, ` +
      (measurements.length === 2 ? `in turns of ${Math.ceil(options.orders / TURNS)} (${run % 2 === 1 ? 'A B B A A B B A' : 'B A A B B A A B'}), ` : '') +
      `GET /orders/:id every ${options.pollMs} ms until CONFIRMED${flags.url ? `, against ${flags.url.replace(/\/$/, '')}` : ''}\n`,
  );
  if (flags['second-env']) console.log(`${second.system} runs with ${flags['second-env']}; ${first.system} with the defaults\n`);
  console.log(second ? comparisonTable(first, second) : singleTable(first));
  for (const measurement of measurements) {
    for (const warning of measurement.warnings) console.log(`${measurement.system}: ${warning}`);
    if (measurement.duplicateNotifications > 0) console.log(`${measurement.system}: ${measurement.duplicateNotifications} notifications arrived twice`);
  }
  if (flags.soak || options.orders >= 5_000) for (const measurement of measurements) console.log(`\n${soakSummary(measurement)}`);
  for (const measurement of measurements) {
    const table = topStatementsTable(measurement);
    if (table) console.log(`\n${table}`);
  }
  if (flags.json) {
    console.log(jsonLine(run, { clients: options.clients, orders: options.orders, warmup: options.warmup, pollMs: options.pollMs }, measurements));
  }
}

async function pipeline(): Promise<void> {
  const remote = flags.url?.replace(/\/$/, '');
  const merchant = await Merchant.start(flags['merchant-host'] ?? (remote ? '0.0.0.0' : '127.0.0.1'), count('merchant-port', flags['merchant-port'], 0)!);
  undoLater(() => merchant.stop());
  const notifyUrl = flags['merchant-url']?.replace(/\/$/, '') ?? merchant.localUrl;
  const copies = copiesToRun();
  if (!remote) buildIfStale();
  const all: Measurement[][] = [];
  for (let run = 1; run <= runs; run += 1) {
    const measurements = remote
      ? [await runRemote(remote, merchant, notifyUrl)]
      : copies.length === 2 && !flags.soak
        ? await runInTurns(run, copies, merchant, notifyUrl)
        : [await runSpawned(copies[0], merchant, notifyUrl)];
    printRun(run, measurements);
    all.push(measurements);
  }
  if (runs > 1) {
    const medians = all[0].map((_, index) => medianOf(all.map((measurements) => measurements[index])));
    console.log(`\nmedians of ${runs} runs\n`);
    console.log(medians[1] ? comparisonTable(medians[0], medians[1]) : singleTable(medians[0]));
  }
}

/**
 * The systems --systems names, in the order their columns are printed: backstop before the
 * baseline whatever the order given, or two copies of backstop, the second with --second-env.
 */
function copiesToRun(): Copy[] {
  const requested = (flags.systems ?? (flags.soak ? 'backstop' : 'backstop,baseline')).split(',');
  for (const name of requested) if (name !== 'backstop' && name !== 'baseline') throw new Error(`--systems: no system ${name}`);
  const second = secondEnvironment();
  if (requested.length === 2 && requested.every((name) => name === 'backstop')) {
    // A and B when the second differs; 1 and 2 when the two are the same.
    const [first, other] = Object.keys(second).length > 0 ? ['A', 'B'] : ['1', '2'];
    return [
      { system: 'backstop', label: `backstop ${first}`, environment: {} },
      { system: 'backstop', label: `backstop ${other}`, environment: second },
    ];
  }
  if (Object.keys(second).length > 0) throw new Error('--second-env: only with --systems backstop,backstop');
  return (['backstop', 'baseline'] as const).filter((name) => requested.includes(name)).map((name) => ({ system: name, label: name, environment: {} }));
}

/** --second-env as settings, each KEY=VALUE. */
function secondEnvironment(): Record<string, string> {
  if (!flags['second-env']) return {};
  return Object.fromEntries(
    flags['second-env'].split(',').map((pair) => {
      const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair);
      if (!match) throw new Error(`--second-env: each setting must be KEY=VALUE with an upper-case KEY, not ${pair}`);
      return [match[1], match[2]];
    }),
  );
}

async function noisy(): Promise<void> {
  buildIfStale();
  const shares = flags.hanging!.split(',').map((share) => {
    const parsed = Number(share);
    if (!(parsed > 0 && parsed < 1)) throw new Error(`--hanging: each share must be above 0 and below 1, not ${share}`);
    return parsed;
  });
  await noisyNeighbour(
    {
      clients: count('clients', flags.clients, 1) ?? 16,
      orders: count('orders', flags.orders, 1) ?? 800,
      warmup: count('warmup', flags.warmup, 0) ?? 100,
      endpoints: count('endpoints', flags.endpoints, 2)!,
      hangingShares: shares,
      pollMs: options.pollMs,
      adminToken: ADMIN_TOKEN,
      callbackSecret: CALLBACK_SECRET,
    },
    undoLater,
  );
}

async function busy(scenario: 'burst' | 'slowdown'): Promise<void> {
  buildIfStale();
  const busyOptions = {
    clients: count('clients', flags.clients, 1) ?? (scenario === 'burst' ? 32 : 16),
    rounds: count('orders', flags.orders, 1) ?? (scenario === 'burst' ? 20 : 1500),
    pollMs: options.pollMs,
    adminToken: ADMIN_TOKEN,
    callbackSecret: CALLBACK_SECRET,
  };
  await (scenario === 'burst' ? burst(busyOptions, undoLater) : slowdown(busyOptions, undoLater));
}

async function data(): Promise<void> {
  const scale = Number(flags.scale);
  if (!(scale > 0 && scale <= 10)) throw new Error(`--scale must be a number above 0 and at most 10, not ${flags.scale}`);
  await dataScenario({ scale, clients: count('clients', flags.clients, 1) ?? 12 }, undoLater);
}

async function main(): Promise<void> {
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  if (flags.mode === 'http') {
    if (flags.clients !== undefined) process.env.BENCH_CONCURRENCY ??= flags.clients;
    await import('./http.bench');
    return;
  }
  if (flags.mode !== 'pipeline') throw new Error(`--mode must be pipeline or http, not ${flags.mode}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      process.stderr.write(`\n${signal}: cleaning up\n`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  try {
    if (flags.scenario === undefined) await pipeline();
    else if (flags.scenario === 'noisy') await noisy();
    else if (flags.scenario === 'data') await data();
    else if (flags.scenario === 'burst' || flags.scenario === 'slowdown') await busy(flags.scenario);
    else throw new Error(`--scenario must be noisy, data, burst or slowdown, not ${flags.scenario}`);
  } finally {
    await cleanUp();
  }
}

main().then(
  // The HTTP micro-benchmarks run on after main() returns and exit by themselves.
  () => flags.mode === 'http' || process.exit(0),
  (error: Error) => {
    // Interrupted: the systems were stopped under the clients; the signal handler exits.
    if (interrupted) return;
    console.error(error);
    process.exit(1);
  },
);
