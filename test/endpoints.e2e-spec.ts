import { NotifyHistoryRepository } from '../src/notify/notify-history.repository';
import { http } from './support/http';
import { MerchantServers } from './support/merchant-server';
import { paidOrderTo } from './support/notify-helpers';
import { queuesIdle } from './support/reliability-broker';
import { notificationReaches, staysAt } from './support/retry-helpers';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** Longer than the test schedule (100ms, 200ms, 400ms) twice over: nothing more can come after it. */
const QUIET_WINDOW_MS = 1_500;

/** SPEC §8 endpoints: 410 Gone disables one, enable + recover delivers what it missed once; success rules per endpoint. */
describe('merchant endpoints', () => {
  let world: TestWorld;
  let platform: RunningApp;
  const merchants = new MerchantServers();

  beforeAll(async () => {
    world = await TestWorld.create('endpoints');
    platform = await world.start();
  });
  afterAll(async () => {
    await platform.close();
    await merchants.stopAll();
    await world.destroy();
  });

  const merchant = () => merchants.start();

  const paidOrder = (sku: string, notifyUrl: string) => paidOrderTo(platform.url, sku, notifyUrl);

  const endpointOf = async (origin: string) => {
    const answer = await http(platform.url, 'GET', '/admin/endpoints', { admin: true });
    expect(answer.status).toBe(200);
    return (answer.body.items as { id: string; origin: string; state: string; disabledReason?: string; successRule: string }[]).find(
      (endpoint) => endpoint.origin === origin,
    );
  };

  const failedNotifications = (orderIds: string[]) =>
    world.query<{ status: string }>(
      `SELECT f.status FROM failed_messages f JOIN notifications n ON n.event_id::text = f.message_id
        WHERE f.handler = 'notify.merchant' AND n.order_id = ANY($1::uuid[])`,
      [orderIds],
    );

  it('410 Gone disables the endpoint at once; enable and recover deliver what it missed, once each', async () => {
    const since = new Date(Date.now() - 1_000).toISOString();
    const shop = await merchant();
    shop.answerWith((_, response) => {
      response.statusCode = 410;
      response.end('gone');
    });
    const first = await paidOrder('EP-GONE-1', `${shop.url}/notify`);
    await notificationReaches(platform.url, first.id, 'FAILED');
    expect(shop.forOrder(first.id)).toHaveLength(1);
    const endpoint = await endpointOf(shop.url);
    expect(endpoint).toMatchObject({ state: 'DISABLED', disabledReason: '410 Gone' });

    // Disabled: the next notification fails at once, and nothing is sent.
    const second = await paidOrder('EP-GONE-2', `${shop.url}/notify?second`);
    await notificationReaches(platform.url, second.id, 'FAILED');
    await queuesIdle(world.name, ['notify.merchant']);
    await staysAt(() => shop.received.length, 1, QUIET_WINDOW_MS, 'requests to a disabled endpoint');
    const log = await world.query<{ attempt: number; error: string; http_status: number | null }>(
      `SELECT attempt, error, http_status FROM deliveries WHERE order_id = $1`,
      [second.id],
    );
    expect(log).toEqual([{ attempt: 1, error: 'endpoint disabled', http_status: null }]);
    expect(await failedNotifications([first.id, second.id])).toEqual([{ status: 'FAILED' }, { status: 'FAILED' }]);

    shop.answerWith((_, response) => response.end('success'));
    const enabled = await http(platform.url, 'POST', `/admin/endpoints/${endpoint!.id}/enable`, { admin: true });
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ state: 'ACTIVE' });
    expect(enabled.body.disabledReason).toBeUndefined();
    const recovered = await http(platform.url, 'POST', `/admin/endpoints/${endpoint!.id}/recover`, { admin: true, body: { since } });
    expect(recovered).toMatchObject({ status: 202, body: { count: 2 } });

    await notificationReaches(platform.url, first.id, 'DELIVERED');
    await notificationReaches(platform.url, second.id, 'DELIVERED');
    await waitFor(async () => (await failedNotifications([first.id, second.id])).every((row) => row.status === 'RESOLVED'), {
      what: 'both failures to be resolved',
    });
    await staysAt(() => shop.received.length, 3, QUIET_WINDOW_MS, 'requests after the recovery');
    // Once each: the first order had its 410 and one delivery, the second only its delivery.
    expect(shop.forOrder(first.id).map((request) => request.headers['webhook-id'])).toHaveLength(2);
    expect(shop.forOrder(second.id)).toHaveLength(1);

    // The endpoint's log, newest first, filtered by outcome and paged.
    const failedPage = await http(platform.url, 'GET', `/admin/deliveries?endpoint=${endpoint!.id}&delivered=false&limit=1`, { admin: true });
    expect(failedPage.status).toBe(200);
    expect(failedPage.body.items).toMatchObject([{ orderId: second.id, error: 'endpoint disabled', endpoint: endpoint!.id }]);
    const nextPage = await http(platform.url, 'GET', `/admin/deliveries?endpoint=${endpoint!.id}&delivered=false&limit=1&cursor=${failedPage.body.nextCursor}`, { admin: true });
    expect(nextPage.body).toMatchObject({ items: [{ orderId: first.id, httpStatus: 410 }], nextCursor: null });
    const delivered = await http(platform.url, 'GET', `/admin/deliveries?endpoint=${endpoint!.id}&delivered=true`, { admin: true });
    expect(delivered.body.items.map((item: { orderId: string }) => item.orderId).sort()).toEqual([first.id, second.id].sort());

    // A second recovery finds nothing left to re-run.
    const again = await http(platform.url, 'POST', `/admin/endpoints/${endpoint!.id}/recover`, { admin: true, body: { since } });
    expect(again.body).toEqual({ count: 0 });
  });

  it('a success rule of 2xx counts any 2xx answer as delivered, for that endpoint only', async () => {
    const quiet = await merchant();
    quiet.answerWith((_, response) => {
      response.statusCode = 204;
      response.end();
    });
    const before = await paidOrder('EP-RULE-1', `${quiet.url}/hook`);
    await notificationReaches(platform.url, before.id, 'FAILED');
    const endpoint = (await endpointOf(quiet.url))!;
    expect(endpoint).toMatchObject({ state: 'ACTIVE', successRule: 'body' });

    const changed = await http(platform.url, 'PUT', `/admin/endpoints/${endpoint.id}`, { admin: true, body: { successRule: '2xx' } });
    expect(changed).toMatchObject({ status: 200, body: { successRule: '2xx' } });
    const after = await paidOrder('EP-RULE-2', `${quiet.url}/hook`);
    await notificationReaches(platform.url, after.id, 'DELIVERED');
    expect(quiet.forOrder(after.id)).toHaveLength(1);
  });

  it('validates the ops API', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await http(platform.url, 'GET', '/admin/endpoints')).status).toBe(401);
    expect((await http(platform.url, 'GET', `/admin/endpoints/${unknown}`, { admin: true })).status).toBe(404);
    expect((await http(platform.url, 'GET', '/admin/endpoints/not-a-uuid', { admin: true })).status).toBe(400);
    expect((await http(platform.url, 'POST', `/admin/endpoints/${unknown}/enable`, { admin: true })).status).toBe(404);
    const [{ id }] = (await http(platform.url, 'GET', '/admin/endpoints', { admin: true })).body.items;
    expect((await http(platform.url, 'PUT', `/admin/endpoints/${id}`, { admin: true, body: { successRule: 'always' } })).status).toBe(400);
    for (const body of [{ concurrency: 0 }, { concurrency: 101 }, { concurrency: 2.5 }, { rateLimit: 0 }, { rateLimit: '5' }]) {
      const refused = await http(platform.url, 'PUT', `/admin/endpoints/${id}`, { admin: true, body });
      expect({ body, status: refused.status }).toEqual({ body, status: 400 });
    }
    const limited = await http(platform.url, 'PUT', `/admin/endpoints/${id}`, { admin: true, body: { concurrency: 8, rateLimit: 20 } });
    // A cap above the adaptive limit gives no more slots than that limit; one below it is the limit.
    const adaptiveLimit = limited.body.adaptiveLimit as number;
    // The endpoint's attempts in the tests before moved it from where it starts (4), but not far.
    expect(adaptiveLimit).toBeLessThan(8);
    expect(limited).toMatchObject({
      status: 200,
      body: { concurrency: Math.max(1, Math.floor(adaptiveLimit)), concurrencyCap: 8, concurrencyIsDefault: false, rateLimit: 20, inFlight: 0, waiting: 0 },
    });
    const capped = await http(platform.url, 'PUT', `/admin/endpoints/${id}`, { admin: true, body: { concurrency: 1 } });
    expect(capped).toMatchObject({ status: 200, body: { concurrency: 1, concurrencyCap: 1 } });
    const reset = await http(platform.url, 'PUT', `/admin/endpoints/${id}`, { admin: true, body: { concurrency: null, rateLimit: null } });
    expect(reset).toMatchObject({ status: 200, body: { concurrency: Math.max(1, Math.floor(reset.body.adaptiveLimit)), concurrencyIsDefault: true } });
    expect(reset.body.rateLimit).toBeUndefined();
    expect(reset.body.concurrencyCap).toBeUndefined();
    expect((await http(platform.url, 'POST', `/admin/endpoints/${id}/recover`, { admin: true, body: { since: 'yesterday' } })).status).toBe(400);
  });

  it('pages the endpoints by origin, each with its figures of the last hour', async () => {
    await world.query(`INSERT INTO endpoints (origin) SELECT 'https://paged-' || lpad(i::text, 3, '0') || '.example:443' FROM generate_series(1, 230) AS i`);
    const [{ id: busy }] = await world.query<{ id: string }>(`SELECT id FROM endpoints WHERE origin = 'https://paged-150.example:443'`);
    // Three attempts within the hour, one of them failed; one older, which does not count (yesterday's, just after midnight).
    await platform.app.get(NotifyHistoryRepository).deliveryPartitions.ensure(new Date(Date.now() - 24 * 60 * 60_000), new Date());
    await world.query(
      `INSERT INTO deliveries (event_id, order_id, attempt, url, http_status, duration_ms, delivered, error, attempted_at, endpoint_id)
       SELECT gen_random_uuid(), gen_random_uuid(), 1, 'https://paged-150.example/notify', s, 10, s = 200, CASE WHEN s <> 200 THEN 'HTTP 500' END, at, $1
         FROM (VALUES (200, now() - interval '5 minutes'), (200, now() - interval '10 minutes'), (500, now()), (500, now() - interval '2 hours')) AS a (s, at)`,
      [busy],
    );
    const origins: string[] = [];
    const figures: Record<string, unknown> = {};
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { id: string; origin: string; attemptsLastHour: number; failuresLastHour: number }[]; nextCursor: string | null } } =
        await http(platform.url, 'GET', `/admin/endpoints?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { admin: true });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(100);
      origins.push(...page.body.items.map((endpoint) => endpoint.origin));
      for (const endpoint of page.body.items) figures[endpoint.id] = { attempts: endpoint.attemptsLastHour, failures: endpoint.failuresLastHour };
      cursor = page.body.nextCursor;
    } while (cursor);
    const [{ count }] = await world.query<{ count: number }>(`SELECT count(*)::int AS count FROM endpoints`);
    expect(origins).toHaveLength(count);
    expect(new Set(origins).size).toBe(count);
    expect(origins.filter((origin) => origin.startsWith('https://paged-'))).toEqual(
      Array.from({ length: 230 }, (_, index) => `https://paged-${String(index + 1).padStart(3, '0')}.example:443`),
    );
    expect(figures[busy]).toEqual({ attempts: 3, failures: 1 });

    expect((await http(platform.url, 'GET', '/admin/endpoints', { admin: true })).body.items).toHaveLength(100);
    for (const query of ['limit=0', 'limit=501', 'limit=ten', 'cursor=not-ours', `cursor=${Buffer.from('ftp://x').toString('base64url')}`]) {
      const refused = await http(platform.url, 'GET', `/admin/endpoints?${query}`, { admin: true });
      expect({ query, status: refused.status }).toEqual({ query, status: 400 });
    }
  });
});
