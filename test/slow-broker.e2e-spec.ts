import { orderReaches, placeOrder, setStock } from './support/orders';
import { consumersReady } from './support/reliability-broker';
import { StallingProxy } from './support/stalling-proxy';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** Longer than a publish waits for its confirm (5 s) and than the broker's heartbeats take to be missed. */
const STALL_MS = 12_000;
/** A connection idle inside a transaction for longer than this is waiting on something outside the database. */
const IDLE_IN_TRANSACTION_LIMIT = '500 milliseconds';

/**
 * G7 with a broker that takes publishes but never confirms them (as when it blocks
 * publishers on a memory alarm, or hangs): the platform talks to RabbitMQ through a proxy
 * that holds back everything the broker sends, so only this file's platform is affected.
 */
describe('G7: a broker that stops answering never holds a database connection', () => {
  let world: TestWorld;
  let proxy: StallingProxy;
  let platform: RunningApp;

  beforeAll(async () => {
    world = await TestWorld.create('slow_broker');
    proxy = await StallingProxy.start({ host: '127.0.0.1', port: 5672 });
    platform = await world.start({ RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${proxy.port}/${world.name}` });
  });
  afterAll(async () => {
    proxy.resume();
    await platform.close();
    await proxy.stop();
    await world.destroy();
  });

  it('POST /orders answers 201 at once while confirms do not come; no connection waits in a transaction; every event flows after', async () => {
    await consumersReady(world.name, ['stock.reserve', 'orders.stock-result']);
    await setStock(platform.url, 'SLOW-BROKER', 100_000, 100);
    const before = await placeOrder(platform.url, [{ sku: 'SLOW-BROKER', quantity: 1 }]);
    await orderReaches(platform.url, before.id, ['CONFIRMED']);

    const waiting = watchIdleInTransaction(world);
    proxy.stall();
    const placed: { id: string; status: number; ms: number }[] = [];
    const stalledUntil = Date.now() + STALL_MS;
    while (Date.now() < stalledUntil) {
      const round = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const started = Date.now();
          const response = await fetch(`${platform.url}/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ merchantId: 'm-slow', items: [{ sku: 'SLOW-BROKER', quantity: 1 }], notifyUrl: 'https://merchant.example/notify' }),
          });
          const body = (await response.json()) as { id: string };
          return { id: body.id, status: response.status, ms: Date.now() - started };
        }),
      );
      placed.push(...round);
    }
    const offenders = await waiting.stop();

    expect(placed.filter((answer) => answer.status !== 201)).toEqual([]);
    // Not one waited for a confirm (5 s). Timed by this process, 8 at a time, so load adds to
    // each: the slowest took under 200 ms with the CPU loaded, so 2 s is ample and still far from 5 s.
    expect(placed.filter((answer) => answer.ms > 2_000)).toEqual([]);
    expect(offenders).toEqual([]);
    // While the broker said nothing, nothing could have been confirmed.
    const ids = placed.map((answer) => answer.id);
    const [{ pending }] = await world.query<{ pending: number }>(
      `SELECT count(*)::int AS pending FROM orders WHERE id = ANY($1::uuid[]) AND status = 'PENDING'`,
      [ids],
    );
    expect(pending).toBe(ids.length);

    proxy.resume();
    await waitFor(
      async () => {
        const [{ confirmed }] = await world.query<{ confirmed: number }>(
          `SELECT count(*)::int AS confirmed FROM orders WHERE id = ANY($1::uuid[]) AND status = 'CONFIRMED'`,
          [ids],
        );
        return confirmed === ids.length;
      },
      { what: `${ids.length} orders to be confirmed once the broker answers`, timeoutMs: 90_000, intervalMs: 200 },
    );
    await waitFor(async () => (await world.query(`SELECT id FROM outbox`)).length === 0, { what: 'the outbox to empty', timeoutMs: 60_000 });
    // Each order reserved once, whatever was published twice.
    const [{ reservations }] = await world.query<{ reservations: number }>(
      `SELECT count(*)::int AS reservations FROM stock_reservations WHERE order_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(reservations).toBe(ids.length);
  });
});

/** Samples pg_stat_activity until stopped; returns every connection seen idle in a transaction for too long. */
function watchIdleInTransaction(world: TestWorld) {
  const offenders: { pid: number; idle: string; query: string }[] = [];
  let watching = true;
  const done = (async () => {
    while (watching) {
      offenders.push(
        ...(await world.query<{ pid: number; idle: string; query: string }>(
          `SELECT pid, (now() - state_change)::text AS idle, query FROM pg_stat_activity
            WHERE datname = $1 AND state = 'idle in transaction' AND state_change < now() - interval '${IDLE_IN_TRANSACTION_LIMIT}'`,
          [world.name],
        )),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      watching = false;
      await done;
      return offenders;
    },
  };
}
