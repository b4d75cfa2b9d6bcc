import type { ChildProcess } from 'node:child_process';
import { http } from './support/http';
import { MerchantServer, MerchantServers } from './support/merchant-server';
import { payByCallback, quiesce } from './support/notify-helpers';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

interface EndpointFigures {
  origin: string;
  concurrency: number;
  adaptiveLimit: number;
  inFlight: number;
  waiting: number;
}

/**
 * Busy merchants: a notification whose endpoint has no free slot waits in the endpoint's line,
 * in the order it came, and is sent as soon as a slot frees; waiting is never an attempt nor a
 * retry tier. Each endpoint's limit adapts to how fast it answers.
 */
describe('busy merchant endpoints', () => {
  let world: TestWorld;
  const merchants = new MerchantServers();
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    world = await TestWorld.create('busy_endpoints');
  });
  // Each test runs its own platform, with its own settings: the last one's stops first, so none takes the next one's messages.
  afterEach(async () => {
    for (const merchant of merchants.started) merchant.answerWith((_, response) => response.end('success'));
    await quiesce(world.name);
    for (const app of apps.splice(0)) await app.close();
  });
  afterAll(async () => {
    await merchants.stopAll();
    await world.destroy();
  });

  async function start(settings: Record<string, string>): Promise<RunningApp> {
    const app = await world.start(settings);
    apps.push(app);
    return app;
  }

  /** `count` orders of one SKU, confirmed, not yet paid, for the merchant at `notifyUrl`. */
  async function confirmedOrders(base: string, sku: string, count: number, notifyUrl: string) {
    await setStock(base, sku, count, 100);
    const orders = await Promise.all(Array.from({ length: count }, () => placeOrder(base, [{ sku, quantity: 1 }], notifyUrl)));
    for (const order of orders) expect((await orderReaches(base, order.id, ['CONFIRMED', 'REJECTED'], 30_000)).status).toBe('CONFIRMED');
    return orders;
  }

  async function endpointOf(base: string, origin: string): Promise<EndpointFigures> {
    const answer = await http(base, 'GET', '/admin/endpoints?limit=100', { admin: true });
    return (answer.body.items as EndpointFigures[]).find((endpoint) => endpoint.origin === origin)!;
  }

  /** The sum of a metric's series that carry `labels`. */
  async function metric(base: string, name: string, labels: string): Promise<number> {
    const text = (await http(base, 'GET', '/metrics')).text;
    const lines = text.split('\n').filter((each) => each.startsWith(`${name}{`) && each.includes(labels));
    return lines.reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  }

  const attemptsOf = (orderIds: string[]) =>
    world.query<{ order_id: string; attempts: number; first: number; at: number }>(
      `SELECT order_id, count(*)::int AS attempts, min(attempt)::int AS first, extract(epoch FROM min(attempted_at))::float8 * 1000 AS at
         FROM deliveries WHERE order_id = ANY($1::uuid[]) GROUP BY order_id`,
      [orderIds],
    );

  it('sends a burst to a fast endpoint at its limit in the order it came, one attempt each, none on a retry tier', async () => {
    // The first four are held for as long as paying the rest takes: far inside NOTIFY_TIMEOUT, even on a loaded machine.
    const app = await start({ NOTIFY_ENDPOINT_CONCURRENCY: '4', NOTIFY_ENDPOINT_CONCURRENCY_MAX: '4', NOTIFY_ENDPOINT_WAITING: '40', NOTIFY_TIMEOUT: '30s' });
    const merchant = await merchants.start();
    // Fast (20 ms), but it holds its answers until the whole burst is paid: four are sent, and
    // the other 36 must wait in the endpoint's line, however fast this machine pays.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    merchant.answerWith((_, response) => void released.then(() => setTimeout(() => response.end('success'), 20)));
    const orders = await confirmedOrders(app.url, 'BUSY-BURST', 40, `${merchant.url}/notify`);
    const retriesBefore = await metric(app.url, 'backstop_retries_total', 'handler="notify.merchant"');

    for (const order of orders) await payByCallback(app.url, order);
    let seen: EndpointFigures | undefined;
    await waitFor(async () => (seen = await endpointOf(app.url, merchant.url))?.waiting === 36, { what: 'the other 36 to wait in line', timeoutMs: 20_000 }).catch(
      (error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify(seen)}, ${merchant.open} requests open`);
      },
    );
    expect(merchant.open).toBe(4);
    const releasedAt = Date.now();
    console.info(`burst: the first request held ${releasedAt - merchant.received[0].at} ms`);
    release();
    await waitFor(() => orders.every((order) => merchant.forOrder(order.id).length > 0), { what: 'all 40 notified', timeoutMs: 30_000 });

    expect(merchant.mostOpen).toBeLessThanOrEqual(4);
    const attempts = await attemptsOf(orders.map((order) => order.id));
    // One attempt each, the first: waiting in line cost none.
    expect(attempts.map((row) => [row.attempts, row.first])).toEqual(orders.map(() => [1, 1]));
    // Nothing went to a retry tier's delay queue (waiting on the broker is counted apart, as not_yet runs).
    expect(await metric(app.url, 'backstop_retries_total', 'handler="notify.merchant"')).toBe(retriesBefore);
    // Sent in the order paid, give or take those sent at the same moment: as many places as the
    // endpoint has slots free claim at once, and their claims race with each other and with the
    // next few. So each slot is claimed (its delivery log row's time) within twice the limit's
    // (4) places of its turn; a line that let later ones overtake those waiting would move some
    // by dozens. Receipt at the merchant is printed, not bounded: four requests are in flight at
    // once on four connections, and one that takes longer on the way (a run of four test files side by side saw one arrive
    // 17 places late that was claimed in its turn) is overtaken by the other three slots' next.
    const paidRank = new Map(orders.map((order, index) => [order.id, index]));
    const furthestFrom = (ranks: number[]) => Math.max(...ranks.map((rank, place) => Math.abs(rank - place)));
    const claims = await world.query<{ order_id: string }>(`SELECT order_id FROM deliveries WHERE order_id = ANY($1::uuid[]) ORDER BY attempted_at, id`, [orders.map((order) => order.id)]);
    const claimRanks = claims.map((row) => paidRank.get(row.order_id)!);
    const receivedRanks = merchant.received.map((request) => paidRank.get(request.body.orderId as string)!);
    console.info(`burst: claimed in the order ${claimRanks.join(',')} (furthest ${furthestFrom(claimRanks)} places from its turn), received in ${receivedRanks.join(',')} (furthest ${furthestFrom(receivedRanks)})`);
    expect(claimRanks).toHaveLength(orders.length);
    expect(furthestFrom(claimRanks)).toBeLessThan(8);
    // All within a bound that holds on a loaded machine: 40 at four at a time take ~200 ms of the merchant's time.
    const drained = Math.max(...merchant.received.map((request) => request.at)) - releasedAt;
    console.info(`burst: the line of 36 sent ${drained} ms after the merchant began answering`);
    expect(drained).toBeLessThan(3_000);
  });

  it('a hanging endpoint holds its limit of requests and its line of messages; a healthy one is not held up', async () => {
    const app = await start({ NOTIFY_ENDPOINT_CONCURRENCY: '2', NOTIFY_ENDPOINT_CONCURRENCY_MAX: '2', NOTIFY_ENDPOINT_WAITING: '5', NOTIFY_TIMEOUT: '20s' });
    const hanging = await merchants.start();
    hanging.answerWith(() => undefined);
    const healthy = await merchants.start();
    const stuck = await confirmedOrders(app.url, 'BUSY-HANG', 30, `${hanging.url}/notify`);
    const fine = await confirmedOrders(app.url, 'BUSY-FINE', 5, `${healthy.url}/notify`);

    await Promise.all(stuck.map((order) => payByCallback(app.url, order)));
    let seen: unknown;
    await waitFor(async () => ((seen = await endpointOf(app.url, hanging.url)) as EndpointFigures)?.waiting === 5, { what: "the hanging endpoint's line to fill", timeoutMs: 20_000 }).catch(
      async (error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify(seen)} ${JSON.stringify(await world.query('SELECT origin, waiting, in_flight FROM endpoints'))}`);
      },
    );
    for (const order of fine) {
      const paid = Date.now();
      await payByCallback(app.url, order);
      await waitFor(() => healthy.forOrder(order.id).length > 0, { what: 'the healthy merchant to be notified', timeoutMs: 10_000, intervalMs: 10 });
      // Well within the first retry delay a waiting notification would have cost (3 s), with the margin a loaded machine needs.
      expect(healthy.forOrder(order.id)[0].at - paid).toBeLessThan(1_500);
    }
    const figures = await endpointOf(app.url, hanging.url);
    expect({ open: hanging.open, mostOpen: hanging.mostOpen, inFlight: figures.inFlight, waiting: figures.waiting }).toEqual({ open: 2, mostOpen: 2, inFlight: 2, waiting: 5 });
    // The rest wait on the broker, a short delay at a time, no attempt counted.
    expect(await world.query(`SELECT 1 FROM deliveries WHERE order_id = ANY($1::uuid[])`, [stuck.map((order) => order.id)])).toHaveLength(2);
    hanging.answerWith((_, response) => response.end('success'));
  });

  it("lowers a merchant's limit within seconds when its answers slow down, and raises it again once they are fast", async () => {
    const app = await start({});
    const merchant = await merchants.start();
    let delayMs = 10;
    merchant.answerWith((_, response) => setTimeout(() => response.end('success'), delayMs));
    await setStock(app.url, 'BUSY-ADAPT', 100_000, 100);
    // Steady load: eight clients, each an order after the other, paid as soon as it is confirmed.
    let running = true;
    const client = async () => {
      while (running) {
        const order = await placeOrder(app.url, [{ sku: 'BUSY-ADAPT', quantity: 1 }], `${merchant.url}/notify`);
        await orderReaches(app.url, order.id, ['CONFIRMED'], 30_000);
        await payByCallback(app.url, order);
      }
    };
    const clients = Array.from({ length: 8 }, client);
    const limit = async () => (await endpointOf(app.url, merchant.url))?.adaptiveLimit ?? 4;
    try {
      await waitFor(async () => (await endpointOf(app.url, merchant.url))?.inFlight !== undefined && merchant.received.length >= 20, {
        what: 'the merchant to be answering fast',
        timeoutMs: 30_000,
      });
      const before = await limit();
      delayMs = 1_000;
      const slowedAt = Date.now();
      await waitFor(async () => (await limit()) <= 2, { what: 'the limit to fall', timeoutMs: 10_000, intervalMs: 100 });
      console.info(`adaptive: limit ${before} while fast, at most 2 ${Date.now() - slowedAt} ms after the merchant slowed to 1 s`);
      const lowest = await limit();
      delayMs = 10;
      // Back up by at least two slots: how far depends on how fast a loaded machine lets the answers come.
      await waitFor(async () => (await limit()) >= lowest + 2, { what: 'the limit to rise again', timeoutMs: 30_000, intervalMs: 100 });
    } finally {
      running = false;
      await Promise.allSettled(clients);
    }
  });

  describe('a process killed with notifications in hand', () => {
    let child: ChildProcess;

    it('loses none: the one in flight is sent again once its lease runs out, with no attempt spent waiting for it; those in line are each delivered once', async () => {
      const merchant: MerchantServer = await merchants.start();
      let first = true;
      // The first request is never answered: the process dies in the middle of it.
      merchant.answerWith((_, response) => {
        if (first) first = false;
        else response.end('success');
      });
      const settings = { NOTIFY_ENDPOINT_CONCURRENCY: '1', NOTIFY_ENDPOINT_CONCURRENCY_MAX: '1', NOTIFY_TIMEOUT: '1s' };
      const spawned = await world.spawn(settings);
      child = spawned.process;
      const orders = await confirmedOrders(spawned.url, 'BUSY-KILL', 6, `${merchant.url}/notify`);
      await payByCallback(spawned.url, orders[0]);
      await waitFor(() => merchant.open === 1, { what: 'the first notification to be in flight' });
      for (const order of orders.slice(1)) await payByCallback(spawned.url, order);
      await waitFor(async () => (await endpointOf(spawned.url, merchant.url))?.waiting === 5, { what: 'five notifications waiting in line', timeoutMs: 10_000 });
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));

      // The retry schedule (100, 200, 400 ms) is far shorter than the dead attempt's lease (1 s + 5 s):
      // had waiting for the lease counted as attempts, the first would have ended FAILED.
      const restarted = await start(settings);
      const ids = orders.map((order) => order.id);
      try {
        await waitFor(() => orders.every((order) => merchant.forOrder(order.id).length >= 1 + (order === orders[0] ? 1 : 0)), {
          what: 'every merchant notified',
          timeoutMs: 30_000,
        });
        await waitFor(async () => (await world.query(`SELECT 1 FROM notifications WHERE order_id = ANY($1::uuid[]) AND state = 'DELIVERED'`, [ids])).length === 6, {
          what: 'all six DELIVERED',
          timeoutMs: 10_000,
        });
        // The one in flight was sent twice (its first request never answered), the others once each, always with their webhook-id.
        expect(orders.map((order) => merchant.forOrder(order.id).length)).toEqual([2, 1, 1, 1, 1, 1]);
        expect(new Set(merchant.forOrder(orders[0].id).map((request) => request.headers['webhook-id'])).size).toBe(1);
        const attempts = await attemptsOf(ids);
        expect(attempts.find((row) => row.order_id === orders[0].id)!.attempts).toBe(2);
        expect(await world.query(`SELECT 1 FROM failed_messages`)).toEqual([]);
        expect(restarted.url).toBeDefined();
      } catch (error) {
        // What was left, in the order paid: enough to tell a lost notification from a slow one.
        const rank = (orderId: string) => ids.indexOf(orderId);
        const notifications = await world.query<{ order_id: string }>(
          `SELECT order_id, state, attempts, last_attempt_at, next_attempt_at, lease_until, now() AS now FROM notifications WHERE order_id = ANY($1::uuid[])`,
          [ids],
        );
        const left = {
          received: orders.map((order) => merchant.forOrder(order.id).length),
          notifications: notifications.map((row) => ({ ...row, order_id: rank(row.order_id) })),
          deliveries: (await attemptsOf(ids)).map((row) => ({ ...row, order_id: rank(row.order_id) })),
          failed: await world.query(`SELECT handler, status, error FROM failed_messages`),
          endpoint: await endpointOf(restarted.url, merchant.url),
        };
        throw new Error(`${(error as Error).message}\nleft: ${JSON.stringify(left)}`);
      }
    });

    afterAll(() => {
      if (child?.exitCode === null) child.kill('SIGKILL');
    });
  });
});
