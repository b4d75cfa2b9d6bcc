import { createHmac, randomUUID } from 'node:crypto';
import { signCallback } from './support/contract-callback';
import { expectError } from './support/contract-errors';
import { http } from './support/http';
import { nodeRequest } from './support/node-request';
import { setStock } from './support/orders';
import { SpawnedPlatform } from './support/spawned-platform';
import { ADMIN_TOKEN, CALLBACK_SECRET, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/**
 * Bodies built to hurt the HTTP edge rather than to place an order — nested thousands of levels
 * deep, or bytes that are not UTF-8 — answered 400 before anything recursive reads them, with
 * nothing changed and nothing but a request line in the log. `node dist/main.js` with JSON logs.
 */
describe('hostile JSON bodies', () => {
  const SKU = 'HI-SKU';
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  let world: TestWorld;
  let platform: SpawnedPlatform;

  beforeAll(async () => {
    world = await TestWorld.create('hostile_input');
    platform = await SpawnedPlatform.start(world.environment({ LOG_FORMAT: 'json', LOG_LEVEL: 'log' }));
    await waitFor(async () => (await http(platform.url, 'GET', '/health/ready')).status === 200, { what: 'the platform to be ready', timeoutMs: 30_000 });
    await setStock(platform.url, SKU, 1_000, 100);
  });
  afterAll(async () => {
    platform?.stop();
    await world.destroy();
  });

  /** `[[…]]` nested `levels` deep. */
  const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
  const orders = async () => (await world.query<{ n: number }>('SELECT count(*)::int AS n FROM orders'))[0].n;
  const stock = () => world.query('SELECT sku, available, unit_price FROM stock ORDER BY sku');
  const paidOrders = async () => (await world.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE trade_no IS NOT NULL'))[0].n;
  const state = async () => ({ orders: await orders(), stock: await stock(), paid: await paidOrders() });

  const routes: [string, string, Record<string, string>][] = [
    ['POST', '/orders', {}],
    ['PUT', `/admin/stock/${SKU}`, admin],
    ['POST', '/payments/callback', {}],
  ];

  describe.each(routes)('%s %s', (method, path, headers) => {
    // The callback is signed: the depth is refused before the signature is even looked at, but not for want of one.
    const send = (body: string) => nodeRequest(platform.url, method, path, { body, headers: { ...headers, 'x-signature': signCallback(body) } });


    it('answers 400 to a body nested 2,000 levels deep (4 KB), logs no stack trace, and changes nothing', async () => {
      const body = `{"orderId":"${randomUUID()}","merchantId":"m","items":${nested(2_000)}}`;
      expect(Buffer.byteLength(body)).toBeLessThan(64 * 1024);
      const before = await state();
      const answer = await send(body);
      expectError(answer, 400, /nested deeper than 32 levels/);
      expect(await state()).toEqual(before);
      const line = await waitFor(() => platform.json().find((entry) => entry.req?.method === method && entry.req.url === path && entry.res?.statusCode === 400), {
        what: `the request line of the deep ${method} ${path}`,
      });
      expect(line.level).toBe('info');
      expect(platform.stdout.filter((entry) => /Maximum call stack|RangeError|"level":"error"/.test(entry))).toEqual([]);
    });

    it('reads a body nested 32 levels deep and answers what validation says of it, not the depth', async () => {
      const answer = await send(`{"merchantId":"m","items":${nested(31)}}`);
      expect(answer.status).not.toBe(500);
      expect(answer.text).not.toMatch(/nested deeper/);
    });

    it('answers 400 to a body one level deeper than 32', async () => {
      expectError(await send(`{"merchantId":"m","items":${nested(32)}}`), 400, /nested deeper than 32 levels/);
    });
  });

  it('counts depth outside strings only: brackets inside a text field are text', async () => {
    const answer = await nodeRequest(platform.url, 'POST', '/orders', {
      body: JSON.stringify({ merchantId: `m${'['.repeat(60)}\\"${'{'.repeat(60)}`, items: [{ sku: SKU, quantity: 1 }], notifyUrl: 'https://merchant.example/notify' }),
    });
    expect(answer.status).toBe(201);
  });

  describe('a body that is not UTF-8 is refused, not read with U+FFFD in place of its bytes', () => {
    const order = (merchantIdBytes: Buffer) =>
      Buffer.concat([
        Buffer.from('{"merchantId":"m-'),
        merchantIdBytes,
        Buffer.from(`","items":[{"sku":"${SKU}","quantity":1}],"notifyUrl":"https://merchant.example/notify"}`),
      ]);

    it.each([
      ['a byte that is never UTF-8 (0xFF)', Buffer.from([0xff])],
      ['a lone continuation byte', Buffer.from([0x80])],
      ['a truncated sequence', Buffer.from([0xe2, 0x82])],
      ['an overlong encoding of "/"', Buffer.from([0xc0, 0xaf])],
      ['an encoded unpaired surrogate', Buffer.from([0xed, 0xa0, 0x80])],
      ['latin-1 text', Buffer.from('café', 'latin1')],
    ])('%s: 400, no order', async (_, bytes) => {
      const before = await orders();
      expectError(await nodeRequest(platform.url, 'POST', '/orders', { body: order(bytes) }), 400, /UTF-8/);
      expect(await orders()).toBe(before);
    });

    it('takes UTF-8 text as it is', async () => {
      const answer = await nodeRequest(platform.url, 'POST', '/orders', { body: order(Buffer.from('café 中文 😀')) });
      expect(answer.status).toBe(201);
      expect(answer.body.merchantId).toBe('m-café 中文 😀');
    });

    it('refuses a signed callback that is not UTF-8, whatever its signature', async () => {
      const before = await paidOrders();
      const body = Buffer.concat([Buffer.from(`{"orderId":"${randomUUID()}","tradeNo":"T-`), Buffer.from([0xff]), Buffer.from('","status":"TRADE_SUCCESS","amount":100}')]);
      const signature = createHmac('sha256', CALLBACK_SECRET).update(body).digest('hex');
      expectError(await nodeRequest(platform.url, 'POST', '/payments/callback', { body, headers: { 'x-signature': signature } }), 400, /UTF-8/);
      expect(await paidOrders()).toBe(before);
    });
  });
});
