import type { Delivery } from '../src/ops/console/api-types';
import { expectError } from './support/contract-errors';
import { http } from './support/http';
import { MerchantServers } from './support/merchant-server';
import { deliveriesOf, paidOrderTo } from './support/notify-helpers';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/**
 * GET /admin/deliveries by endpoint, named as the Endpoints page shows it (its origin) or by
 * its id, and by time (`from` inclusive, `to` exclusive); what cannot be read is refused.
 */
describe('the delivery log by endpoint and time', () => {
  let world: TestWorld;
  let platform: RunningApp;
  const merchants = new MerchantServers();
  let shop: { url: string };
  let other: { url: string };
  let shopAttempts: Delivery[];

  const list = async (search: string): Promise<Delivery[]> => {
    const answer = await http(platform.url, 'GET', `/admin/deliveries?${search}`, { admin: true });
    expect({ search, status: answer.status, body: answer.status === 200 ? 'ok' : answer.body }).toEqual({ search, status: 200, body: 'ok' });
    return answer.body.items;
  };
  const ids = (rows: Delivery[]) => rows.map((row) => row.id).sort((a, b) => a - b);

  beforeAll(async () => {
    world = await TestWorld.create('deliveries_filters');
    platform = await world.start();
    const shopServer = await merchants.start();
    const otherServer = await merchants.start();
    shop = shopServer;
    other = otherServer;
    // The shop fails each order's first attempt, so each order has two attempts some time apart.
    const seen = new Set<string>();
    shopServer.answerWith((request, response) => {
      const orderId = String(request.body.orderId);
      if (seen.has(orderId)) return response.end('success');
      seen.add(orderId);
      response.writeHead(500).end('not now');
    });
    const orders = [await paidOrderTo(platform.url, 'DF-A', `${shop.url}/notify`), await paidOrderTo(platform.url, 'DF-B', `${shop.url}/notify`)];
    const elsewhere = await paidOrderTo(platform.url, 'DF-C', `${other.url}/notify`);
    for (const order of orders) {
      await waitFor(async () => (await deliveriesOf(platform.url, order.id)).some((row) => row.delivered === true), { what: `order ${order.id} delivered` });
    }
    await waitFor(async () => (await deliveriesOf(platform.url, elsewhere.id)).some((row) => row.delivered === true), { what: 'the other merchant delivered' });
    shopAttempts = [...(await deliveriesOf(platform.url, orders[0].id)), ...(await deliveriesOf(platform.url, orders[1].id))];
    expect(shopAttempts).toHaveLength(4);
  });
  afterAll(async () => {
    await platform?.close();
    await merchants.stopAll();
    await world?.destroy();
  });

  it("lists an endpoint's attempts by its origin, as by its id, however the origin is written", async () => {
    const endpoints = (await http(platform.url, 'GET', '/admin/endpoints', { admin: true })).body.items as { id: string; origin: string }[];
    const endpoint = endpoints.find((row) => row.origin === shop.url)!;
    const byId = await list(`endpoint=${endpoint.id}`);
    expect(ids(byId)).toEqual(ids(shopAttempts));
    expect(ids(await list(`endpoint=${encodeURIComponent(shop.url)}`))).toEqual(ids(byId));
    // Upper-case scheme and host, a trailing slash: the same origin, as the URL parser writes it.
    expect(ids(await list(`endpoint=${encodeURIComponent(`${shop.url.toUpperCase()}/`)}`))).toEqual(ids(byId));
    // With the other filters, and paged, as before.
    const failed = await list(`endpoint=${encodeURIComponent(shop.url)}&delivered=false`);
    expect(failed.map((row) => row.httpStatus)).toEqual([500, 500]);
    const first = await http(platform.url, 'GET', `/admin/deliveries?endpoint=${encodeURIComponent(shop.url)}&limit=3`, { admin: true });
    const rest = await list(`endpoint=${encodeURIComponent(shop.url)}&limit=3&cursor=${first.body.nextCursor}`);
    expect(ids([...first.body.items, ...rest])).toEqual(ids(byId));
  });

  it('lists nothing for an origin no endpoint has', async () => {
    expect(await list(`endpoint=${encodeURIComponent('https://merchant.example')}`)).toEqual([]);
  });

  it('lists the attempts from `from` (inclusive) until `to` (exclusive)', async () => {
    const times = shopAttempts.map((row) => row.attemptedAt).sort();
    const origin = encodeURIComponent(shop.url);
    expect(ids(await list(`endpoint=${origin}&from=${encodeURIComponent(times[1])}`))).toEqual(ids(shopAttempts.filter((row) => row.attemptedAt >= times[1])));
    expect(ids(await list(`endpoint=${origin}&to=${encodeURIComponent(times[1])}`))).toEqual(ids(shopAttempts.filter((row) => row.attemptedAt < times[1])));
    expect(ids(await list(`endpoint=${origin}&from=${encodeURIComponent(times[1])}&to=${encodeURIComponent(times[3])}`))).toEqual(
      ids(shopAttempts.filter((row) => row.attemptedAt >= times[1] && row.attemptedAt < times[3])),
    );
    // Any offset is taken: the same instant written in UTC+08:00.
    const plusEight = new Date(Date.parse(times[1]) + 8 * 3_600_000).toISOString().replace('Z', '+08:00');
    expect(ids(await list(`endpoint=${origin}&from=${encodeURIComponent(plusEight)}`))).toEqual(ids(shopAttempts.filter((row) => row.attemptedAt >= times[1])));
    // Without an endpoint too, on the log's own time index.
    const all = await list(`from=${encodeURIComponent(times[0])}`);
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect(all.every((row) => row.attemptedAt >= times[0])).toBe(true);
    expect(await list(`from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).toEqual([]);
  });

  it('refuses an endpoint that is neither an id nor an origin, and times that cannot be read, naming the parameter', async () => {
    const refused = async (search: string, names: RegExp) => expectError(await http(platform.url, 'GET', `/admin/deliveries?${search}`, { admin: true }), 400, names);
    await refused('endpoint=nope', /^endpoint must be an endpoint id \(a UUID\) or an origin/);
    await refused(`endpoint=${encodeURIComponent(`${shop.url}/notify`)}`, /^endpoint must be/);
    await refused(`endpoint=${encodeURIComponent('ftp://merchant.example')}`, /^endpoint must be/);
    await refused('from=yesterday', /^from must be an ISO 8601 time with its offset/);
    await refused('from=2026-02-30T00:00:00Z', /^from must be an ISO 8601 time/);
    // A time without its offset would be read in the server's zone: refused, not guessed.
    await refused('to=2026-11-22T10:00:00', /^to must be an ISO 8601 time with its offset/);
    await refused(`from=${encodeURIComponent('2026-11-23T00:00:00Z')}&to=${encodeURIComponent('2026-11-22T00:00:00Z')}`, /^from \(2026-11-23T00:00:00Z\) must be before to/);
  });
});
