import { randomUUID } from 'node:crypto';
import { expectError } from './support/contract-errors';
import { closeSideBySide } from './support/failed-messages';
import { http } from './support/http';
import { HeadedAnswer, nodeRequest } from './support/node-request';
import { setStock } from './support/orders';
import { RunningApp, TestWorld } from './support/test-world';

/**
 * RATE_LIMIT_ORDERS: per client address and per route on the public API (POST /orders,
 * GET /orders/:id, POST /payments/callback), 429 with Retry-After past it; off unless set.
 * Clients are told apart by the address they connect from (127.0.0.2 is loopback too on
 * Linux), or through TRUST_PROXY by X-Forwarded-For. A window of a minute, so that the
 * requests of a busy test machine all land in one.
 */
describe('rate limits on the public API', () => {
  const SKU = 'RL-SKU';
  const LIMIT = 100;
  let world: TestWorld;
  let limited: RunningApp;
  const apps: RunningApp[] = [];
  const start = async (environment: Record<string, string>) => {
    const platform = await world.start(environment);
    apps.push(platform);
    return platform;
  };

  beforeAll(async () => {
    world = await TestWorld.create('rate_limit');
    limited = await start({ RATE_LIMIT_ORDERS: `${LIMIT}/1m` });
    await setStock(limited.url, SKU, 1_000_000, 100);
  });
  afterAll(async () => {
    await closeSideBySide(apps);
    await world.destroy();
  });

  const order = JSON.stringify({ merchantId: 'merchant-rl', items: [{ sku: SKU, quantity: 1 }], notifyUrl: 'https://merchant.example/notify' });
  const ordersPlaced = async () => (await world.query<{ n: number }>('SELECT count(*)::int AS n FROM orders'))[0].n;
  const postOrder = (platform: RunningApp, options: { localAddress?: string; headers?: Record<string, string> } = {}) =>
    nodeRequest(platform.url, 'POST', '/orders', { body: order, ...options });

  /** `count` requests, ten at a time, answering their statuses. */
  async function send(count: number, request: () => Promise<HeadedAnswer>): Promise<number[]> {
    const statuses: number[] = [];
    for (let sent = 0; sent < count; sent += 10) {
      const batch = await Promise.all(Array.from({ length: Math.min(10, count - sent) }, request));
      statuses.push(...batch.map((answer) => answer.status));
    }
    return statuses;
  }

  const expectTooMany = (answer: HeadedAnswer) => {
    expectError(answer, 429, /too many requests/);
    expect(answer.body.error).toBe('Too Many Requests');
    const retryAfter = String(answer.headers['retry-after']);
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  };

  it(`answers the ${LIMIT + 1}st POST /orders from one address within the window 429 with Retry-After, and places no order`, async () => {
    expect(await send(LIMIT, () => postOrder(limited))).toEqual(Array(LIMIT).fill(201));
    const before = await ordersPlaced();
    const refused = await postOrder(limited);
    expectTooMany(refused);
    expect(await ordersPlaced()).toBe(before);
  });

  it('still takes orders from another client address', async () => {
    expect((await postOrder(limited, { localAddress: '127.0.0.2' })).status).toBe(201);
  });

  it('does not believe X-Forwarded-For without TRUST_PROXY', async () => {
    expectTooMany(await postOrder(limited, { headers: { 'x-forwarded-for': '203.0.113.77' } }));
  });

  it('counts each route on its own, and leaves routes outside the public API alone', async () => {
    expect((await nodeRequest(limited.url, 'GET', `/orders/${randomUUID()}`)).status).toBe(404);
    expect((await nodeRequest(limited.url, 'GET', `/stock/${SKU}`)).status).toBe(200);
  });

  it('limits GET /orders/:id and POST /payments/callback the same way', async () => {
    const address = { localAddress: '127.0.0.3' };
    const lookup = () => nodeRequest(limited.url, 'GET', `/orders/${randomUUID()}`, address);
    expect(new Set(await send(LIMIT, lookup))).toEqual(new Set([404]));
    expectTooMany(await lookup());
    const callback = () => nodeRequest(limited.url, 'POST', '/payments/callback', { ...address, body: '{}', headers: { 'x-signature': 'unsigned' } });
    expect(new Set(await send(LIMIT, callback))).toEqual(new Set([401]));
    expectTooMany(await callback());
  });

  it('documents the 429 with its Retry-After on the limited routes', async () => {
    const document = (await http(limited.url, 'GET', '/docs-json')).body;
    for (const [path, method] of [['/orders', 'post'], ['/orders/{id}', 'get'], ['/payments/callback', 'post']]) {
      const tooMany = document.paths[path][method].responses['429'];
      expect({ path, description: tooMany?.description }).toEqual({ path, description: expect.stringMatching(/RATE_LIMIT_ORDERS/) });
      expect(tooMany.headers['Retry-After'].schema.type).toBe('integer');
    }
  });

  it('with TRUST_PROXY=true, counts each X-Forwarded-For client on its own', async () => {
    const proxied = await start({ ROLE: 'api', RATE_LIMIT_ORDERS: '2/1m', TRUST_PROXY: 'true' });
    const from = (client: string) => postOrder(proxied, { headers: { 'x-forwarded-for': client } });
    expect([(await from('203.0.113.1')).status, (await from('203.0.113.1')).status]).toEqual([201, 201]);
    expectTooMany(await from('203.0.113.1'));
    expect((await from('203.0.113.2')).status).toBe(201);
  });

  it('limits nothing unless RATE_LIMIT_ORDERS is set', async () => {
    const unlimited = await start({ ROLE: 'api' });
    const statuses = await send(LIMIT + 20, () => nodeRequest(unlimited.url, 'GET', `/orders/${randomUUID()}`));
    expect(new Set(statuses)).toEqual(new Set([404]));
  });
});
