import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { OutboxPublisher } from '../src/coordinator/outbox-publisher';
import { expectError, messagesOf } from './support/contract-errors';
import { WireTap } from './support/contract-wire';
import { runToExit } from './support/contract-spawn';
import { http } from './support/http';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { ADMIN_TOKEN, RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** SPEC §4 (HTTP contract) and §9 (configuration), over real HTTP against the real platform. */
describe('HTTP contract', () => {
  let world: TestWorld;
  let platform: RunningApp;
  const SKU = 'HC-BASE';
  const NOTIFY_URL = 'https://merchant.example/notify';

  const validOrder = (overrides: Record<string, unknown> = {}) => ({
    merchantId: 'merchant-hc',
    items: [{ sku: SKU, quantity: 2 }],
    notifyUrl: NOTIFY_URL,
    ...overrides,
  });
  const postOrder = (body: unknown, headers: Record<string, string> = {}) =>
    http(platform.url, 'POST', '/orders', { body, headers });
  const orderRows = async (where: string, parameters: unknown[]) =>
    Number((await world.query<{ count: string }>(`SELECT count(*) AS count FROM orders WHERE ${where}`, parameters))[0].count);

  beforeAll(async () => {
    world = await TestWorld.create('http_contract');
    platform = await world.start();
    await setStock(platform.url, SKU, 1_000_000, 250);
  });
  afterAll(() => world.destroy());

  describe('POST /orders', () => {
    it('answers 201 with the order, PENDING, priced from stock, currency defaulting to CNY', async () => {
      await setStock(platform.url, 'HC-SHAPE-A', 50, 199);
      await setStock(platform.url, 'HC-SHAPE-B', 50, 1000);
      const answer = await postOrder(
        validOrder({ items: [{ sku: 'HC-SHAPE-A', quantity: 3 }, { sku: 'HC-SHAPE-B', quantity: 1 }] }),
      );
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        status: 'PENDING',
        merchantId: 'merchant-hc',
        items: [
          { sku: 'HC-SHAPE-A', quantity: 3, unitPrice: 199 },
          { sku: 'HC-SHAPE-B', quantity: 1, unitPrice: 1000 },
        ],
        totalAmount: 3 * 199 + 1000,
        currency: 'CNY',
        notifyUrl: NOTIFY_URL,
        createdAt: expect.any(String),
      });
      const createdAt = Date.parse(answer.body.createdAt);
      expect(new Date(createdAt).toISOString()).toBe(answer.body.createdAt);
      // Stamped now: 60 s only rules out a wrong clock or unit, far above any scheduling delay.
      expect(Math.abs(Date.now() - createdAt)).toBeLessThan(60_000);
    });

    it('keeps a given ISO 4217 currency', async () => {
      const answer = await postOrder(validOrder({ currency: 'USD' }));
      expect(answer.status).toBe(201);
      expect(answer.body.currency).toBe('USD');
    });

    describe('answers 400 naming the field', () => {
      const tooMany = Array.from({ length: 101 }, (_, index) => ({ sku: `HC-MANY-${index}`, quantity: 1 }));
      const cases: [string, () => Record<string, unknown>, RegExp][] = [
        ['merchantId missing', () => { const { merchantId, ...rest } = validOrder(); return rest; }, /merchantId/],
        ['merchantId empty', () => validOrder({ merchantId: '' }), /merchantId/],
        ['merchantId not a string', () => validOrder({ merchantId: 42 }), /merchantId/],
        ['items missing', () => { const { items, ...rest } = validOrder(); return rest; }, /items/],
        ['items empty', () => validOrder({ items: [] }), /items/],
        ['items not an array', () => validOrder({ items: { sku: SKU, quantity: 1 } }), /items/],
        ['more than 100 items', () => validOrder({ items: tooMany }), /items/],
        ['the same sku twice', () => validOrder({ items: [{ sku: SKU, quantity: 1 }, { sku: SKU, quantity: 2 }] }), /items.*sku|sku.*items/],
        ['quantity 0', () => validOrder({ items: [{ sku: SKU, quantity: 0 }] }), /items\.0\.quantity/],
        ['quantity 1001', () => validOrder({ items: [{ sku: SKU, quantity: 1001 }] }), /items\.0\.quantity/],
        ['quantity not an integer', () => validOrder({ items: [{ sku: SKU, quantity: 1.5 }] }), /items\.0\.quantity/],
        ['quantity a numeric string', () => validOrder({ items: [{ sku: SKU, quantity: '2' }] }), /items\.0\.quantity/],
        ['quantity missing', () => validOrder({ items: [{ sku: SKU }] }), /items\.0\.quantity/],
        ['sku with a space', () => validOrder({ items: [{ sku: 'bad sku', quantity: 1 }] }), /items\.0\.sku/],
        ['sku empty', () => validOrder({ items: [{ sku: '', quantity: 1 }] }), /items\.0\.sku/],
        ['sku too long', () => validOrder({ items: [{ sku: 'S'.repeat(65), quantity: 1 }] }), /items\.0\.sku/],
        ['sku of the second item', () => validOrder({ items: [{ sku: SKU, quantity: 1 }, { sku: '../x', quantity: 1 }] }), /items\.1\.sku/],
        ['notifyUrl missing', () => { const { notifyUrl, ...rest } = validOrder(); return rest; }, /notifyUrl/],
        ['notifyUrl not http(s)', () => validOrder({ notifyUrl: 'ftp://merchant.example/notify' }), /notifyUrl/],
        ['notifyUrl javascript:', () => validOrder({ notifyUrl: 'javascript:alert(1)' }), /notifyUrl/],
        ['notifyUrl garbage', () => validOrder({ notifyUrl: 'not a url at all' }), /notifyUrl/],
        ['notifyUrl relative', () => validOrder({ notifyUrl: '/notify' }), /notifyUrl/],
        ['currency not ISO 4217', () => validOrder({ currency: 'XYZ' }), /currency/],
        ['currency too long', () => validOrder({ currency: 'EURO' }), /currency/],
        ['currency in lower case', () => validOrder({ currency: 'usd' }), /currency/],
        ['currency not a string', () => validOrder({ currency: 156 }), /currency/],
        ['an unknown extra property', () => validOrder({ discount: 10 }), /discount/],
        ['an unknown property in an item', () => validOrder({ items: [{ sku: SKU, quantity: 1, price: 1 }] }), /price/],
      ];

      it.each(cases)('%s', async (_, body, field) => {
        const before = await orderRows('true', []);
        const answer = await postOrder(body());
        expectError(answer, 400, field);
        expect(await orderRows('true', [])).toBe(before);
      });
    });

    it('answers 400 to a body that is not an object', async () => {
      for (const rawBody of ['[]', '"order"', '42', 'null']) {
        const answer = await http(platform.url, 'POST', '/orders', { rawBody });
        expectError(answer, 400);
      }
    });

    it('answers 400 to malformed JSON', async () => {
      for (const rawBody of ['{"merchantId": "m", ', '{merchantId: "m"}', 'not json', '']) {
        const answer = await http(platform.url, 'POST', '/orders', { rawBody });
        expectError(answer, 400);
      }
    });

    it('answers 413 to a body over 64 KiB, and 201 to one just under it', async () => {
      const tooLarge = JSON.stringify(validOrder({ merchantId: 'm'.repeat(64 * 1024) }));
      expectError(await http(platform.url, 'POST', '/orders', { rawBody: tooLarge }), 413);

      // Just under the limit, padded with whitespace: the limit is on bytes, not on the fields.
      const body = JSON.stringify(validOrder());
      const padded = body.slice(0, -1) + ' '.repeat(64 * 1024 - body.length - 16) + '}';
      expect(Buffer.byteLength(padded)).toBeLessThan(64 * 1024);
      expect((await http(platform.url, 'POST', '/orders', { rawBody: padded })).status).toBe(201);
    });

    it('answers 422 naming an unknown SKU, and creates nothing', async () => {
      const unknownSku = 'HC-NO-SUCH-SKU-7';
      const answer = await postOrder(validOrder({ items: [{ sku: SKU, quantity: 1 }, { sku: unknownSku, quantity: 1 }] }));
      expectError(answer, 422, new RegExp(unknownSku));
      expect(await orderRows('merchant_id = $1', ['merchant-unknown-sku'])).toBe(0);
    });

    it('accepts an Idempotency-Key of 255 characters and answers 400 to one of 256 or an empty one', async () => {
      expect((await postOrder(validOrder(), { 'Idempotency-Key': 'k'.repeat(255) })).status).toBe(201);
      const before = await orderRows('true', []);
      const answer = await postOrder(validOrder(), { 'Idempotency-Key': 'k'.repeat(256) });
      expectError(answer, 400, /Idempotency-Key/);
      expectError(await postOrder(validOrder(), { 'Idempotency-Key': '' }), 400, /Idempotency-Key/);
      expect(await orderRows('true', [])).toBe(before);
    });

    it('replays the same key with the same body: 201, then 200 with the same order, one row', async () => {
      const key = `hc-replay-${randomUUID()}`;
      const body = validOrder({ merchantId: 'merchant-replay' });
      const first = await postOrder(body, { 'Idempotency-Key': key });
      expect(first.status).toBe(201);
      const second = await postOrder(body, { 'Idempotency-Key': key });
      expect(second.status).toBe(200);
      // A replay answers the order as it stands now: stock may have confirmed it in between.
      expect(second.body).toEqual({ ...first.body, status: expect.stringMatching(/^(PENDING|CONFIRMED)$/) });
      // Field order and an explicit default currency do not make it another request.
      const reordered = { currency: 'CNY', notifyUrl: body.notifyUrl, items: body.items, merchantId: body.merchantId };
      const third = await postOrder(reordered, { 'Idempotency-Key': key });
      expect(third.status).toBe(200);
      expect(third.body.id).toBe(first.body.id);
      expect(await orderRows('idempotency_key = $1', [key])).toBe(1);
      expect(await orderRows('merchant_id = $1', ['merchant-replay'])).toBe(1);
    });

    it('answers the same order to concurrent requests with one key: one 201, the rest 200, one row', async () => {
      const key = `hc-race-${randomUUID()}`;
      const body = validOrder({ merchantId: 'merchant-race' });
      const answers = await Promise.all(Array.from({ length: 8 }, () => postOrder(body, { 'Idempotency-Key': key })));
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
      expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
      expect(await orderRows('merchant_id = $1', ['merchant-race'])).toBe(1);
    });

    it('answers 422 to the same key with another body, and keeps the first order', async () => {
      const key = `hc-conflict-${randomUUID()}`;
      const first = await postOrder(validOrder({ merchantId: 'merchant-conflict' }), { 'Idempotency-Key': key });
      expect(first.status).toBe(201);
      const conflicting = await postOrder(validOrder({ merchantId: 'merchant-conflict', items: [{ sku: SKU, quantity: 3 }] }), {
        'Idempotency-Key': key,
      });
      expectError(conflicting, 422, /Idempotency-Key/);
      expect(await orderRows('merchant_id = $1', ['merchant-conflict'])).toBe(1);
      const replay = await postOrder(validOrder({ merchantId: 'merchant-conflict' }), { 'Idempotency-Key': key });
      expect(replay.status).toBe(200);
      expect(replay.body.id).toBe(first.body.id);
    });

    it('answers a request that lost the race for its key as a replay would, and writes and publishes nothing of its own', async () => {
      const key = `hc-lost-${randomUUID()}`;
      // Publishing after commit, not leaving the events to the relay, is what this is about.
      const publisher = platform.app.get(OutboxPublisher);
      await waitFor(() => publisher.writerLeaseMs > 0, { what: 'the publisher to be ready' });
      const wire = await WireTap.open(world.rabbitmqUrl, ['order.created']);
      const first = new Client({ connectionString: world.databaseUrl });
      await first.connect();
      try {
        // Another request with this key, not committed yet: this one's lookup misses it and its insert waits on the key.
        await first.query('BEGIN');
        await first.query(
          `INSERT INTO orders (id, merchant_id, status, total_amount, currency, notify_url, idempotency_key, request_fingerprint, created_at, updated_at)
           VALUES ($1, 'merchant-race-first', 'PENDING', 500, 'CNY', $2, $3, 'another body', now(), now())`,
          [randomUUID(), NOTIFY_URL, key],
        );
        const answer = postOrder(validOrder({ merchantId: 'merchant-race-lost' }), { 'Idempotency-Key': key });
        await waitFor(
          async () => (await world.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).length > 0,
          { what: 'the request to wait on its key' },
        );
        await first.query('COMMIT');
        expectError(await answer, 422, /Idempotency-Key/);
        expect(await orderRows('merchant_id = $1', ['merchant-race-lost'])).toBe(0);
        expect(await world.query(`SELECT 1 FROM outbox WHERE envelope->'data'->>'merchantId' = 'merchant-race-lost'`)).toEqual([]);
        await wire.caughtUp();
        expect(wire.received.filter((message) => message.body.data.merchantId === 'merchant-race-lost')).toEqual([]);
      } finally {
        await first.end();
        await wire.close();
      }
    });
  });

  describe('GET /orders/:id', () => {
    it('answers 404 to an unknown id', async () => {
      const id = randomUUID();
      expectError(await http(platform.url, 'GET', `/orders/${id}`), 404, new RegExp(id));
    });

    it('answers 400 to an id that is not a UUID', async () => {
      for (const id of ['not-a-uuid', '123', `${randomUUID()}x`]) {
        expectError(await http(platform.url, 'GET', `/orders/${id}`), 400);
      }
    });

    it('shows a fresh order with `payment: null` and `notification: { state: "NONE", attempts: 0 }`', async () => {
      await setStock(platform.url, 'HC-FRESH', 10, 300);
      const placed = await placeOrder(platform.url, [{ sku: 'HC-FRESH', quantity: 2 }], NOTIFY_URL, { merchantId: 'merchant-get' });
      const expected = {
        id: placed.id,
        merchantId: 'merchant-get',
        items: [{ sku: 'HC-FRESH', quantity: 2, unitPrice: 300 }],
        totalAmount: 600,
        currency: 'CNY',
        notifyUrl: NOTIFY_URL,
        createdAt: (placed as unknown as { createdAt: string }).createdAt,
        payment: null,
        notification: { state: 'NONE', attempts: 0 },
      };
      const fresh = await http(platform.url, 'GET', `/orders/${placed.id}`);
      expect(fresh.status).toBe(200);
      expect(fresh.body).toEqual({ ...expected, status: expect.stringMatching(/^(PENDING|CONFIRMED)$/) });

      // Confirmed (stock reserved) is still unpaid and nothing is owed to the merchant yet.
      const confirmed = await orderReaches(platform.url, placed.id, ['CONFIRMED', 'REJECTED']);
      expect(confirmed).toEqual({ ...expected, status: 'CONFIRMED' });
    });
  });

  describe('GET /stock/:sku', () => {
    it('answers 404 naming an unknown SKU', async () => {
      expectError(await http(platform.url, 'GET', '/stock/HC-NOWHERE'), 404, /HC-NOWHERE/);
    });

    it('answers the stock of a known SKU', async () => {
      await setStock(platform.url, 'HC-KNOWN', 7, 4242);
      expect(await http(platform.url, 'GET', '/stock/HC-KNOWN')).toMatchObject({
        status: 200,
        body: { sku: 'HC-KNOWN', available: 7, unitPrice: 4242 },
      });
    });
  });

  describe('admin endpoints', () => {
    const requests: [string, string, unknown?][] = [
      ['PUT', '/admin/stock/HC-ADMIN', { available: 1, unitPrice: 1 }],
      ['GET', '/admin/outbox'],
      ['GET', `/admin/deliveries?orderId=${randomUUID()}`],
    ];
    const wrongHeaders: [string, Record<string, string>][] = [
      ['no token', {}],
      ['a wrong token', { authorization: 'Bearer wrong-token-0123456789abcdef' }],
      ['a prefix of the token', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
      ['the token with another scheme', { authorization: `Basic ${ADMIN_TOKEN}` }],
      ['an empty bearer', { authorization: 'Bearer ' }],
    ];

    describe.each(requests)('%s %s', (method, path, body) => {
      it.each(wrongHeaders)('answers 401 with %s', async (_, headers) => {
        expectError(await http(platform.url, method, path, { body, headers }), 401);
      });

      it('answers 200 with the token', async () => {
        expect((await http(platform.url, method, path, { body, admin: true })).status).toBe(200);
      });
    });

    it('does not set stock without the token', async () => {
      await http(platform.url, 'PUT', '/admin/stock/HC-ADMIN-DENIED', { body: { available: 5, unitPrice: 5 } });
      expect((await http(platform.url, 'GET', '/stock/HC-ADMIN-DENIED')).status).toBe(404);
    });

    it.each([
      ['a negative available', { available: -1, unitPrice: 100 }, /available/],
      ['a non-integer available', { available: 1.5, unitPrice: 100 }, /available/],
      ['a missing available', { unitPrice: 100 }, /available/],
      ['a non-integer unitPrice', { available: 1, unitPrice: 9.99 }, /unitPrice/],
      ['a negative unitPrice', { available: 1, unitPrice: -1 }, /unitPrice/],
      ['a string unitPrice', { available: 1, unitPrice: '100' }, /unitPrice/],
      ['an unknown property', { available: 1, unitPrice: 100, name: 'x' }, /name/],
    ])('PUT /admin/stock answers 400 to %s and sets nothing', async (_, body, field) => {
      const sku = `HC-BAD-${randomUUID().slice(0, 8)}`;
      expectError(await http(platform.url, 'PUT', `/admin/stock/${sku}`, { body, admin: true }), 400, field);
      expect((await http(platform.url, 'GET', `/stock/${sku}`)).status).toBe(404);
    });

    it('PUT /admin/stock answers 400 to a bad SKU', async () => {
      expectError(await http(platform.url, 'PUT', '/admin/stock/bad%20sku', { body: { available: 1, unitPrice: 1 }, admin: true }), 400, /sku/);
    });

    it('GET /admin/deliveries answers 400 for a malformed filter, and lists every delivery without one', async () => {
      expectError(await http(platform.url, 'GET', '/admin/deliveries?orderId=nope', { admin: true }), 400);
      expectError(await http(platform.url, 'GET', '/admin/deliveries?endpoint=nope', { admin: true }), 400);
      expectError(await http(platform.url, 'GET', '/admin/deliveries?delivered=maybe', { admin: true }), 400);
      expectError(await http(platform.url, 'GET', '/admin/deliveries?limit=0', { admin: true }), 400);
      expectError(await http(platform.url, 'GET', '/admin/deliveries?cursor=nope', { admin: true }), 400);
      const all = await http(platform.url, 'GET', '/admin/deliveries', { admin: true });
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ items: expect.any(Array), nextCursor: null });
    });
  });

  it('answers unknown routes with the same error shape', async () => {
    expectError(await http(platform.url, 'GET', '/no/such/route'), 404);
  });

  describe('configuration (SPEC §9): a bad value stops the process with a message naming it', () => {
    const bad: [string, Record<string, string | undefined>][] = [
      ['NOTIFY_RETRY_SCHEDULE', { NOTIFY_RETRY_SCHEDULE: '3x' }],
      ['PORT', { PORT: 'abc' }],
      ['PORT', { PORT: '' }],
      ['PORT', { PORT: '70000' }],
      // Outside production a missing secret is made for the run (SPEC §9); in production it stops.
      ['ADMIN_TOKEN', { ADMIN_TOKEN: undefined, NODE_ENV: 'production' }],
      ['ADMIN_TOKEN', { ADMIN_TOKEN: 'short' }],
      ['HANDLER_RETRY_SCHEDULE', { HANDLER_RETRY_SCHEDULE: '1s,,5s' }],
      ['SWEEP_INTERVAL', { SWEEP_INTERVAL: '30 seconds' }],
      ['ORDER_PAYMENT_TIMEOUT', { ORDER_PAYMENT_TIMEOUT: '1.5h' }],
      ['ROLE', { ROLE: 'everything' }],
      ['QUEUE_TYPE', { QUEUE_TYPE: 'stream' }],
      ['PREFETCH', { PREFETCH: '0' }],
      ['NOTIFY_ALLOW_PRIVATE', { NOTIFY_ALLOW_PRIVATE: 'yes' }],
      ['NOTIFY_SIGNING_SECRET', { NOTIFY_SIGNING_SECRET: 'not-a-whsec-secret' }],
      ['PAYMENT_CALLBACK_SECRET', { PAYMENT_CALLBACK_SECRET: undefined, NODE_ENV: 'production' }],
      // NOTIFY_SIGNING_SECRET is optional even in production: registered merchants sign with their own.
      ['SECRETS_KEY', { SECRETS_KEY: undefined, NODE_ENV: 'production' }],
      ['SECRETS_KEY', { SECRETS_KEY: Buffer.alloc(31).toString('base64') }],
      ['SECRETS_KEY', { SECRETS_KEY: 'not base64 at all, but 44 characters long!!' }],
      ['SECRETS_KEY_PREVIOUS', { SECRETS_KEY_PREVIOUS: Buffer.alloc(33).toString('base64') }],
      ['DATABASE_URL', { DATABASE_URL: 'mysql://localhost/backstop' }],
      ['RABBITMQ_URL', { RABBITMQ_URL: 'http://127.0.0.1:5672' }],
      ['PAYMENT_SANDBOX', { PAYMENT_SANDBOX: 'yes' }],
      // Production never pays through the sandbox unless told to: it needs a real gateway.
      ['PAYMENT_GATEWAY_URL', { NODE_ENV: 'production' }],
      ['PAYMENT_GATEWAY_URL', { PAYMENT_SANDBOX: 'false' }],
      ['PROCESSED_RETENTION', { PROCESSED_RETENTION: '7 days' }],
      ['PROCESSED_RETENTION', { PROCESSED_RETENTION: '7m' }],
      ['HISTORY_RETENTION', { HISTORY_RETENTION: '30x' }],
      ['RATE_LIMIT_ORDERS', { RATE_LIMIT_ORDERS: '100' }],
      ['RATE_LIMIT_ORDERS', { RATE_LIMIT_ORDERS: '0/1s' }],
      ['TRUST_PROXY', { TRUST_PROXY: 'yes' }],
      ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.0/33' }],
      ['METRICS_TOKEN', { METRICS_TOKEN: 'short' }],
    ];

    it.each(bad)('%s', async (variable, overrides) => {
      const environment = world.environment();
      for (const [name, value] of Object.entries(overrides)) {
        if (value === undefined) delete environment[name];
        else environment[name] = value;
      }
      const exit = await runToExit(environment);
      expect({ code: exit.code, stderr: exit.stderr }).toEqual({ code: expect.any(Number), stderr: expect.stringContaining(variable) });
      expect(exit.code).not.toBe(0);
    });

    it('names every bad variable in one run', async () => {
      const exit = await runToExit(world.environment({ PORT: 'abc', NOTIFY_RETRY_SCHEDULE: '3x' }));
      expect(exit.code).not.toBe(0);
      expect(exit.stderr).toContain('PORT');
      expect(exit.stderr).toContain('NOTIFY_RETRY_SCHEDULE');
    });

    it('starts with a good configuration (the same build and environment the failures use)', async () => {
      const spawned = await world.spawn({ ROLE: 'api' });
      try {
        const live = await http(spawned.url, 'GET', '/health/live');
        expect(live.status).toBe(200);
        expect(spawned.process.exitCode).toBeNull();
      } finally {
        spawned.process.kill('SIGTERM');
        await waitFor(() => spawned.process.exitCode !== null || spawned.process.signalCode !== null, {
          what: 'the spawned platform to stop',
          timeoutMs: 20_000,
        });
      }
    }, 120_000);
  });

  it('lists messages field by field for validation', async () => {
    const answer = await postOrder({ merchantId: '', items: [], notifyUrl: 'nope', currency: 'XYZ' });
    expectError(answer, 400);
    const messages = messagesOf(answer);
    for (const field of [/merchantId/, /items/, /notifyUrl/, /currency/]) {
      expect({ field: String(field), found: messages.some((message) => field.test(message)) }).toEqual({ field: String(field), found: true });
    }
  });
});
