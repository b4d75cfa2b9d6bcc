import { http } from './support/http';
import { MerchantServers } from './support/merchant-server';
import { paidOrderTo, quiesce } from './support/notify-helpers';
import { attemptLog, expectOnSchedule, failFirst, notificationReaches, retryGaps } from './support/retry-helpers';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const CONCURRENCY = 2;
/** Each hanging request is cut after this: long enough that the healthy merchant's whole schedule runs meanwhile. */
const HANGING_FOR = '6s';

/**
 * G9: a merchant that accepts connections and never answers holds no more than its
 * concurrency of requests, across processes, and never holds up another merchant's
 * notifications or their schedule. Rate limits and keep-alive connections per endpoint.
 */
describe('endpoint isolation', () => {
  let world: TestWorld;
  let platform: RunningApp;
  /** Where each order is placed: the two processes by turns. */
  let urls: string[];
  const merchants = new MerchantServers();

  beforeAll(async () => {
    world = await TestWorld.create('isolation');
    const settings = { NOTIFY_ENDPOINT_CONCURRENCY: String(CONCURRENCY), NOTIFY_TIMEOUT: HANGING_FOR };
    // Two processes: the concurrency limit is the endpoint's, not each process's.
    platform = await world.start(settings);
    urls = [platform.url, (await world.spawn(settings)).url];
  });
  afterAll(async () => {
    for (const merchant of merchants.started) merchant.answerWith((_, response) => response.end('success'));
    await quiesce(world.name);
    await platform.close();
    await merchants.stopAll();
    await world.destroy();
  });

  const merchant = () => merchants.start();

  /** When each attempt at the order's notification started, by the delivery log, in ms. */
  const firedAt = async (orderId: string) =>
    (await world.query<{ at: number }>(`SELECT extract(epoch FROM attempted_at)::float8 * 1000 AS at FROM deliveries WHERE order_id = $1 ORDER BY attempt`, [orderId])).map(
      (row) => row.at,
    );

  const endpointOf = async (origin: string) => {
    const answer = await http(platform.url, 'GET', '/admin/endpoints', { admin: true });
    return (answer.body.items as { id: string; origin: string; inFlight: number; waiting: number }[]).find((endpoint) => endpoint.origin === origin)!;
  };

  it('a hanging merchant holds only its concurrency; another merchant keeps its schedule meanwhile', async () => {
    const hanging = await merchant();
    hanging.answerWith(() => undefined);
    const healthy = await merchant();
    failFirst(healthy, 3);

    const stuck = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => paidOrderTo(urls[n % 2], `ISO-HANG-${n}`, `${hanging.url}/notify`)));
    await waitFor(() => hanging.open === CONCURRENCY, { what: `${CONCURRENCY} requests hanging`, timeoutMs: 15_000 });
    expect((await endpointOf(hanging.url)).inFlight).toBe(CONCURRENCY);

    const fine = await paidOrderTo(platform.url, 'ISO-FINE', `${healthy.url}/notify`);
    await notificationReaches(platform.url, fine.id, 'DELIVERED', 10_000);
    // The healthy merchant's four attempts, on the schedule, all while the other one still hung.
    // Timed by the delivery log, from each failure to the next attempt: never below the delay
    // (the TTL), and late only by the platform's own work, which is what G4 bounds (retry-helpers).
    expect(healthy.forOrder(fine.id)).toHaveLength(4);
    expectOnSchedule(retryGaps(await attemptLog(world, fine.id)), [100, 200, 400]);
    expect(hanging.received.length).toBe(CONCURRENCY);
    expect(hanging.open).toBe(CONCURRENCY);
    expect(hanging.mostOpen).toBe(CONCURRENCY);

    // The four waiting their turn were not attempts: none of their deliveries was logged.
    const logged = await world.query<{ order_id: string; attempts: number }>(
      `SELECT order_id, count(*)::int AS attempts FROM deliveries WHERE order_id = ANY($1::uuid[]) GROUP BY order_id`,
      [stuck.map((order) => order.id)],
    );
    expect(logged.reduce((sum, row) => sum + row.attempts, 0)).toBe(CONCURRENCY);
    // They wait in the endpoint's lines, in both processes, holding nothing of the merchant's.
    await waitFor(async () => (await endpointOf(hanging.url)).waiting === stuck.length - CONCURRENCY, { what: 'the other four to wait in line', timeoutMs: 10_000 });
    const metrics = (await http(platform.url, 'GET', '/metrics')).text + (await http(urls[1], 'GET', '/metrics')).text;
    expect(metrics).toMatch(new RegExp(`backstop_endpoint_in_flight\\{endpoint="${hanging.url.replace(/[.]/g, '\\.')}"\\} [12]`));

    // Once it answers, every one is delivered, and never more than its concurrency at once.
    hanging.answerWith((_, response) => response.end('success'));
    for (const order of stuck) await notificationReaches(platform.url, order.id, 'DELIVERED', 30_000);
    expect(hanging.mostOpen).toBe(CONCURRENCY);
  });

  it('keeps at most rateLimit requests a second to an endpoint', async () => {
    const shop = await merchant();
    const first = await paidOrderTo(platform.url, 'ISO-RATE-0', `${shop.url}/notify`);
    await notificationReaches(platform.url, first.id, 'DELIVERED');
    const { id } = await endpointOf(shop.url);
    expect((await http(platform.url, 'PUT', `/admin/endpoints/${id}`, { admin: true, body: { rateLimit: 2 } })).status).toBe(200);

    const orders = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => paidOrderTo(urls[n % 2], `ISO-RATE-${n}`, `${shop.url}/notify`)));
    for (const order of orders) await notificationReaches(platform.url, order.id, 'DELIVERED', 20_000);
    for (const order of orders) expect(shop.forOrder(order.id)).toHaveLength(1);
    // Any three requests in a row span at least a second, as they started by the delivery log:
    // the limiter's own clock (attempted_at is the same now() as the send it counts), so the
    // bound is exact but for 1 ms of float rounding. (Arrival times add both processes' scheduling.)
    const times = (await Promise.all(orders.map((order) => firedAt(order.id)))).flat().sort((a, b) => a - b);
    expect(times).toHaveLength(orders.length);
    const spans = times.slice(2).map((at, index) => at - times[index]);
    expect(spans.filter((span) => span < 999)).toEqual([]);
  });

  it('reuses connections to an endpoint (keep-alive)', async () => {
    const shop = await merchant();
    for (let n = 1; n <= 5; n++) {
      const order = await paidOrderTo(platform.url, `ISO-KEEP-${n}`, `${shop.url}/notify`);
      await notificationReaches(platform.url, order.id, 'DELIVERED');
    }
    // Five notifications, from two processes at most: at most one new connection each.
    expect(shop.received).toHaveLength(5);
    expect(shop.connections).toBeLessThanOrEqual(2);
  });
});
