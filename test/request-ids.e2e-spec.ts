import { randomUUID } from 'node:crypto';
import { http } from './support/http';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { SpawnedPlatform } from './support/spawned-platform';
import { ADMIN_TOKEN, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * `x-request-id` from the caller (or made here) to the answer, the request's log lines and the
 * ops actions it records, against `node dist/main.js` with JSON logs as a log pipeline reads them.
 */
describe('request ids', () => {
  let world: TestWorld;
  let platform: SpawnedPlatform;

  beforeAll(async () => {
    world = await TestWorld.create('request_ids');
    // A gateway that hangs makes POST /pay log a warning of its own while it answers.
    platform = await SpawnedPlatform.start(world.environment({ LOG_FORMAT: 'json', LOG_LEVEL: 'log', PAYMENT_GATEWAY_TIMEOUT: '300ms', CHECKBACK_AFTER: '10m' }));
    await waitFor(async () => (await fetch(`${platform.url}/health/ready`).catch(() => undefined))?.status === 200, { what: 'the platform to be ready', timeoutMs: 30_000 });
  });
  afterAll(async () => {
    platform?.stop();
    await world.destroy();
  });

  const send = (method: string, path: string, requestId: string | undefined, init: { body?: string; admin?: boolean } = {}) =>
    fetch(`${platform.url}${path}`, {
      method,
      body: init.body,
      headers: {
        ...(requestId === undefined ? {} : { 'x-request-id': requestId }),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.admin ? { authorization: `Bearer ${ADMIN_TOKEN}` } : {}),
      },
    });

  it('echoes the x-request-id sent on every answer, errors included', async () => {
    const answers: [string, number, string | null][] = [];
    for (const [method, path, body, admin] of [
      ['GET', '/stock/RID-NONE', undefined, false], // 404 from the service
      ['GET', '/orders/not-a-uuid', undefined, false], // 400 from a pipe
      ['GET', '/no/such/route', undefined, false], // 404 from the router
      ['GET', '/admin/summary', undefined, false], // 401 from the guard
      ['GET', '/admin/summary', undefined, true], // 200
      ['GET', '/orders/%ED%A0%80', undefined, false], // 400 before any hook runs
      ['POST', '/orders', '{nope', false], // 400: JSON that does not parse
      ['POST', '/orders', JSON.stringify({ items: 'x'.repeat(70 * 1024) }), false], // 413
    ] as [string, string, string | undefined, boolean][]) {
      const id = `rid-${randomUUID()}`;
      const answer = await send(method, path, id, { body, admin });
      answers.push([`${method} ${path.slice(0, 40)}`, answer.status, answer.headers.get('x-request-id') === id ? 'echoed' : answer.headers.get('x-request-id')]);
    }
    expect(answers).toEqual([
      ['GET /stock/RID-NONE', 404, 'echoed'],
      ['GET /orders/not-a-uuid', 400, 'echoed'],
      ['GET /no/such/route', 404, 'echoed'],
      ['GET /admin/summary', 401, 'echoed'],
      ['GET /admin/summary', 200, 'echoed'],
      ['GET /orders/%ED%A0%80', 400, 'echoed'],
      ['POST /orders', 400, 'echoed'],
      ['POST /orders', 413, 'echoed'],
    ]);
  });

  it('makes a new one, a UUID, when none is sent or the one sent cannot be carried, and answers the request as usual', async () => {
    const made = async (requestId: string | undefined) => {
      const answer = await send('GET', '/health/live', requestId);
      expect(answer.status).toBe(200);
      return answer.headers.get('x-request-id');
    };
    expect(await made(undefined)).toMatch(UUID);
    expect(await made('x'.repeat(129))).toMatch(UUID); // too long
    expect(await made('tab\there')).toMatch(UUID); // not printable
    expect(await made('caf\u00e9')).toMatch(UUID); // not ASCII
    const longest = 'printable ASCII, spaces and #/@! too'.padEnd(128, '.');
    expect(await made(longest)).toBe(longest);
    expect(await made(undefined)).not.toBe(await made(undefined));
  });

  it("writes it in every log line of the request, a service's own lines too, and in no other request's", async () => {
    await setStock(platform.url, 'RID-PAY', 5);
    const order = await placeOrder(platform.url, [{ sku: 'RID-PAY', quantity: 1 }]);
    await orderReaches(platform.url, order.id, ['CONFIRMED']);
    expect((await http(platform.url, 'PUT', `/sandbox/gateway/scenarios/${order.id}`, { body: { scenario: 'HANG' }, admin: true })).status).toBe(200);

    const id = `pay-${randomUUID()}`;
    const paid = await send('POST', `/orders/${order.id}/pay`, id);
    expect({ status: paid.status, requestId: paid.headers.get('x-request-id') }).toEqual({ status: 202, requestId: id });

    const requestLine = await waitFor(
      () => platform.json().find((line) => line.req?.url === `/orders/${order.id}/pay`),
      { what: 'the request line of the payment' },
    );
    expect(requestLine).toMatchObject({ requestId: id, req: { id, method: 'POST' }, res: { statusCode: 202 } });
    // Written by the payment service while it answered, through Nest's logger.
    const serviceLine = platform.json().find((line) => String(line.msg).startsWith(`charge of order ${order.id} has no known outcome yet`));
    expect(serviceLine).toMatchObject({ level: 'warn', context: 'PaymentService', requestId: id });
    expect(platform.json().filter((line) => line.requestId === id).map((line) => line.msg)).toEqual([serviceLine!.msg, 'request completed']);
    // Another request, sent without an id, has one of its own.
    const placed = platform.json().find((line) => line.req?.url === '/orders' && line.res?.statusCode === 201);
    expect(placed?.requestId).toMatch(UUID);
    // Lines outside any request (start-up, handlers) name none.
    expect(platform.json().find((line) => /listening on/.test(String(line.msg)))).not.toHaveProperty('requestId');
  });

  it('records it with the ops actions of the request, and shows it in the audit trail', async () => {
    const merchant = `rid-shop-${randomUUID().slice(0, 8)}`;
    const created = await send('POST', '/admin/merchants', 'ops-create-1', { admin: true, body: JSON.stringify({ id: merchant, name: 'Request id shop' }) });
    expect(created.status).toBe(201);
    const rotated = await send('POST', `/admin/merchants/${merchant}/rotate-secret`, undefined, { admin: true, body: JSON.stringify({}) });
    expect(rotated.status).toBe(200);
    const madeId = rotated.headers.get('x-request-id');
    expect(madeId).toMatch(UUID);

    const detail = await http(platform.url, 'GET', `/admin/merchants/${merchant}`, { admin: true });
    expect(detail.body.actions.map((action: { action: string; requestId: string | null }) => [action.action, action.requestId])).toEqual([
      ['merchant.create', 'ops-create-1'],
      ['merchant.rotate-secret', madeId],
    ]);
    expect(await world.query(`SELECT action, request_id FROM ops_actions WHERE subject_id = $1 ORDER BY id`, [merchant])).toEqual([
      { action: 'merchant.create', request_id: 'ops-create-1' },
      { action: 'merchant.rotate-secret', request_id: madeId },
    ]);
  });
});
