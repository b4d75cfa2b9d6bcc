import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { TestWorld } from '../../test/support/test-world';
import { LoadClient, Merchant, oneOrder, OrderTiming } from './closed-loop';
import { percentile } from './measure';
import { startBackstop } from './systems';

export interface NoisyOptions {
  clients: number;
  orders: number;
  /** Orders through the same loop before the clock starts. */
  warmup: number;
  endpoints: number;
  /** Shares of the endpoints that hang, each run against a run with none. */
  hangingShares: number[];
  pollMs: number;
  adminToken: string;
  callbackSecret: string;
}

/** One turn: a fresh backstop with `share` of its endpoints hanging, driven for `orders` orders. */
interface Turn {
  share: number;
  hanging: number;
  orders: number;
  seconds: number;
  /** Notify times of the orders whose merchant answers. */
  healthyNotifyMs: number[];
  /** Notifications that waited for their endpoint (not attempts), over the whole turn. */
  waits: number;
  circuitsOpened: number;
}

/** A share's two turns taken together. */
interface NoisyRun {
  share: number;
  hanging: number;
  ordersPerSecond: number;
  healthyNotifyP50: number;
  healthyNotifyP99: number;
  waits: number;
  circuitsOpened: number;
}

/** An endpoint that accepts connections and reads requests but never answers. */
class HangingEndpoint {
  private server: Server;
  url: string;

  static async start(): Promise<HangingEndpoint> {
    const endpoint = new HangingEndpoint();
    endpoint.server = createServer(() => undefined);
    await new Promise<void>((resolve) => endpoint.server.listen(0, '127.0.0.1', resolve));
    endpoint.url = `http://127.0.0.1:${(endpoint.server.address() as AddressInfo).port}`;
    return endpoint;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/**
 * The noisy-neighbour scenario (G9): orders spread over `endpoints` merchant origins in
 * turn, of which a share accept connections and never answer. Measures the healthy
 * merchants' notification times and the loop's throughput against the same with no
 * hanging endpoint, each turn on a fresh backstop with the production notify settings.
 *
 * Each share runs twice, in the order none, 10%, 30%, 30%, 10%, none: the machine's speed
 * drifts by more than the targets' margins within minutes, and taken there and back a
 * steady drift falls on every share alike. Each turn is as long as a share's whole run
 * used to be, so a hanging endpoint's notifications wait and come back as often in it.
 */
export async function noisyNeighbour(options: NoisyOptions, undoLater: (undo: () => Promise<unknown>) => () => Promise<void>): Promise<void> {
  const shares = [0, ...options.hangingShares];
  const order = [...shares, ...[...shares].reverse()];
  const turns: Turn[] = [];
  for (const share of order) {
    const turn = await oneTurn(share, options, undoLater);
    turns.push(turn);
    process.stderr.write(
      `noisy neighbour: ${turn.hanging}/${options.endpoints} endpoints hanging: ${(turn.orders / turn.seconds).toFixed(1)} orders/s, ` +
        `healthy notify p99 ${percentile([...turn.healthyNotifyMs].sort((a, b) => a - b), 0.99).toFixed(1)} ms\n`,
    );
  }
  const runs = shares.map((share) => together(turns.filter((turn) => turn.share === share)));
  const [calm, ...noisy] = runs;
  console.log(
    `\nnoisy neighbour: two turns of ${options.orders} orders after ${options.warmup} warm-up each, ${options.clients} clients, ${options.endpoints} endpoints, ` +
      `turns ${order.map((share) => `${Math.round(share * 100)}%`).join(' ')}; ratio = with hanging endpoints / with none\n`,
  );
  console.log(`${'hanging endpoints'.padEnd(20)} ${'orders/s'.padStart(9)} ${'ratio'.padStart(6)} ${'healthy p50 ms'.padStart(15)} ${'ratio'.padStart(6)} ${'healthy p99 ms'.padStart(15)} ${'ratio'.padStart(6)} ${'waits'.padStart(6)} ${'circuits opened'.padStart(16)}`);
  for (const run of runs) {
    const ratio = (ours: number, theirs: number) => (run === calm ? '' : (ours / theirs).toFixed(2)).padStart(6);
    console.log(
      `${`${run.hanging}/${options.endpoints} (${Math.round(run.share * 100)}%)`.padEnd(20)} ${run.ordersPerSecond.toFixed(1).padStart(9)} ${ratio(run.ordersPerSecond, calm.ordersPerSecond)} ` +
        `${run.healthyNotifyP50.toFixed(1).padStart(15)} ${ratio(run.healthyNotifyP50, calm.healthyNotifyP50)} ${run.healthyNotifyP99.toFixed(1).padStart(15)} ${ratio(run.healthyNotifyP99, calm.healthyNotifyP99)} ` +
        `${String(run.waits).padStart(6)} ${String(run.circuitsOpened).padStart(16)}`,
    );
  }
  if (noisy.length === 0) console.log('(no --hanging share given: nothing to compare)');
}

/** A share's turns as one run: rates over their summed time, percentiles over all their orders. */
function together(turns: Turn[]): NoisyRun {
  const notify = turns.flatMap((turn) => turn.healthyNotifyMs).sort((a, b) => a - b);
  const sum = (figure: (turn: Turn) => number) => turns.reduce((total, turn) => total + figure(turn), 0);
  return {
    share: turns[0].share,
    hanging: turns[0].hanging,
    ordersPerSecond: sum((turn) => turn.orders) / sum((turn) => turn.seconds),
    healthyNotifyP50: percentile(notify, 0.5),
    healthyNotifyP99: percentile(notify, 0.99),
    waits: sum((turn) => turn.waits),
    circuitsOpened: sum((turn) => turn.circuitsOpened),
  };
}

function counterOf(metrics: string, series: string): number {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function oneTurn(share: number, options: NoisyOptions, undoLater: (undo: () => Promise<unknown>) => () => Promise<void>): Promise<Turn> {
  const hangingCount = Math.round(options.endpoints * share);
  const healthy = await Promise.all(Array.from({ length: options.endpoints - hangingCount }, () => Merchant.start('127.0.0.1', 0)));
  const hanging = await Promise.all(Array.from({ length: hangingCount }, () => HangingEndpoint.start()));
  const everyEndpoint = [...healthy, ...hanging];
  const stopEndpoints = undoLater(async () => {
    for (const endpoint of everyEndpoint) await endpoint.stop();
  });
  // The hanging ones spread evenly through the turn order, rather than bunched at its start.
  const routes = Array.from({ length: options.endpoints }, (_, index) => {
    const hangs = Math.floor(((index + 1) * hangingCount) / options.endpoints) > Math.floor((index * hangingCount) / options.endpoints);
    if (hangs) return { url: hanging[hanging.length - 1 - (Math.floor(((index + 1) * hangingCount) / options.endpoints) - 1)].url, merchant: undefined };
    const merchant = healthy.pop()!;
    return { url: merchant.localUrl, merchant };
  });
  const world = await TestWorld.create('bench_noisy');
  const destroyWorld = undoLater(() => world.destroy());
  // The production notify settings, not the test worlds' compressed schedule and idle circuit breaker.
  const system = await startBackstop(world, { NOTIFY_RETRY_SCHEDULE: '3s,30s,60s,120s,180s,300s', NOTIFY_TIMEOUT: '5s', NOTIFY_CIRCUIT_MIN_REQUESTS: '10' });
  const stopSystem = undoLater(() => system.stop());
  const client = new LoadClient();
  const sku = `NOISY-${Math.round(share * 100)}`;
  const stocked = await client.send('PUT', `${system.url}/admin/stock/${sku}`, JSON.stringify({ available: 1_000_000_000, unitPrice: 1999 }), {
    authorization: `Bearer ${options.adminToken}`,
  });
  if (stocked.status !== 200) throw new Error(`PUT /admin/stock/${sku}: ${stocked.status} ${stocked.text}`);

  // A warm-up through the same turn order (JIT, pools, and the hanging endpoints' first
  // requests already hanging) before the clock starts.
  const timings: (OrderTiming & { healthy: boolean })[] = [];
  let next = 0;
  const runClients = (until: number, record: boolean) =>
    Promise.all(
      Array.from({ length: options.clients }, async () => {
        while (next < until) {
          const route = routes[next % routes.length];
          next += 1;
          const target = { url: system.url, callbackSecret: options.callbackSecret, sku, notifyUrl: `${route.url}/notify` };
          const timing = await oneOrder(client, route.merchant, target, options.pollMs);
          if (record) timings.push({ ...timing, healthy: route.merchant !== undefined });
        }
      }),
    );
  await runClients(options.warmup, false);
  const began = performance.now();
  await runClients(options.warmup + options.orders, true);
  const seconds = (performance.now() - began) / 1000;
  const metrics = (await client.send('GET', `${system.url}/metrics`)).text;
  client.close();
  await stopSystem();
  await destroyWorld();
  await stopEndpoints();
  return {
    share,
    hanging: hangingCount,
    orders: timings.length,
    seconds,
    healthyNotifyMs: timings.filter((timing) => timing.healthy).map((timing) => timing.notifyMs),
    waits: counterOf(metrics, 'backstop_handler_runs_total{handler="notify.merchant",outcome="not_yet"}'),
    circuitsOpened: counterOf(metrics, 'backstop_endpoint_circuit_transitions_total{transition="opened"}'),
  };
}
