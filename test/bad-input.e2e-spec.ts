import { randomUUID } from 'node:crypto';
import { signCallback } from './support/contract-callback';
import { expectError } from './support/contract-errors';
import { Answer } from './support/http';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { percentEncoded, rawRequest, wireBytes } from './support/raw-http';
import { ADMIN_TOKEN, RunningApp, TestWorld } from './support/test-world';

/**
 * SPEC §4: text that PostgreSQL would refuse (a NUL, an unpaired surrogate), a C1 control
 * character, or text far too long never reaches it: 400 naming the field, nothing changed. A
 * right-to-left override is ordinary text. Every text field that reaches the database, over real HTTP.
 */
const VARIANTS = {
  NUL: 'a\u0000b',
  'an unpaired surrogate': 'a\uD800b',
  'a C1 control (U+0085)': 'a\u0085b',
  '10,000 characters': 'x'.repeat(10_000),
  'a right-to-left override': 'a\u202Eb',
} as const;
type Variant = keyof typeof VARIANTS;

interface Target {
  send(text: string): Promise<Answer>;
  /** What the request could change, read before and after it. */
  state(): Promise<unknown>;
  /** Checks the effect of an accepted request: the text stored exactly as sent. */
  accepted?(text: string, answer: Answer): Promise<void>;
}

interface TextField {
  name: string;
  /** What a 400 must name. */
  names: RegExp;
  /** Which variants the field takes as ordinary text. */
  accepts: Variant[];
  /** Variants refused before the platform reads the request (Node's own HTTP parser): 400, but it cannot name the field. */
  refusedByHttp?: Variant[];
  /** In a path, an encoded unpaired surrogate is not UTF-8: the URL cannot be routed, so the 400 names the URL path. */
  inPath?: boolean;
  target(): Promise<Target>;
}

describe('bad input: every text field × NUL, unpaired surrogate, C1 control, 10,000 characters, right-to-left override', () => {
  const SKU = 'BI-SKU';
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const json = { 'content-type': 'application/json' };
  let world: TestWorld;
  let platform: RunningApp;

  beforeAll(async () => {
    world = await TestWorld.create('bad_input');
    platform = await world.start();
    await setStock(platform.url, SKU, 1_000_000, 100);
  });
  afterAll(() => world.destroy());

  const count = async (sql: string, parameters: unknown[] = []) => (await world.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, parameters))[0].n;
  const order = (overrides: Record<string, unknown>) => ({
    merchantId: 'merchant-bi',
    items: [{ sku: SKU, quantity: 1 }],
    notifyUrl: 'https://merchant.example/notify',
    ...overrides,
  });
  const postOrder = (body: unknown, headers: Record<string, string | Buffer> = {}) =>
    rawRequest(platform.url, 'POST', '/orders', { ...json, ...headers }, JSON.stringify(body));
  const storedOrder = async (answer: Answer) => (await world.query<Record<string, any>>('SELECT * FROM orders WHERE id = $1', [answer.body.id]))[0];

  async function confirmedOrder() {
    const placed = await placeOrder(platform.url, [{ sku: SKU, quantity: 1 }]);
    expect((await orderReaches(platform.url, placed.id, ['CONFIRMED', 'REJECTED'], 30_000)).status).toBe('CONFIRMED');
    return placed;
  }

  async function failedRow(): Promise<string> {
    const id = randomUUID();
    await world.query(
      `INSERT INTO failed_messages (id, handler, queue, message_id, routing_key, payload, headers, error, errors, attempts, status, first_failed_at, last_failed_at)
       VALUES ($1, 'bad-input.probe', 'bad-input.probe', $2, 'order.created', '{}', '{}', 'boom', '[]', 1, 'FAILED', now(), now())`,
      [id, randomUUID()],
    );
    return id;
  }

  const ordersPlaced = () => count('orders');

  const fields: TextField[] = [
    {
      name: 'POST /orders merchantId',
      names: /merchantId/,
      accepts: ['a right-to-left override'],
      target: async () => ({
        send: (text) => postOrder(order({ merchantId: text })),
        state: ordersPlaced,
        accepted: async (text, answer) => {
          expect(answer.status).toBe(201);
          expect(answer.body.merchantId).toBe(text);
          expect((await storedOrder(answer)).merchant_id).toBe(text);
        },
      }),
    },
    {
      name: 'POST /orders items[].sku',
      names: /items\.0\.sku/,
      accepts: [],
      target: async () => ({ send: (text) => postOrder(order({ items: [{ sku: text, quantity: 1 }] })), state: ordersPlaced }),
    },
    {
      name: 'POST /orders currency',
      names: /currency/,
      accepts: [],
      target: async () => ({ send: (text) => postOrder(order({ currency: text })), state: ordersPlaced }),
    },
    {
      name: 'POST /orders notifyUrl (in its path)',
      names: /notifyUrl/,
      accepts: ['a right-to-left override'],
      target: async () => ({
        send: (text) => postOrder(order({ notifyUrl: `https://merchant.example/${text}` })),
        state: ordersPlaced,
        accepted: async (text, answer) => {
          expect(answer.status).toBe(201);
          expect((await storedOrder(answer)).notify_url).toBe(`https://merchant.example/${text}`);
        },
      }),
    },
    {
      // A header is bytes: the text goes as its WTF-8 bytes, and the platform reads them as latin1.
      // The surrogate (ED A0 80) and the override (E2 80 AE) then hold U+0080, a C1 control: refused.
      name: 'POST /orders Idempotency-Key header',
      names: /Idempotency-Key/,
      accepts: [],
      refusedByHttp: ['NUL'],
      target: async () => ({
        send: (text) => postOrder(order({ merchantId: 'merchant-bi-key' }), { 'idempotency-key': wireBytes(text) }),
        state: ordersPlaced,
      }),
    },
    {
      name: 'GET /stock/:sku',
      inPath: true,
      names: /sku/,
      accepts: [],
      target: async () => ({ send: (text) => rawRequest(platform.url, 'GET', `/stock/${percentEncoded(text)}`, {}), state: () => count('stock') }),
    },
    {
      name: 'PUT /admin/stock/:sku',
      inPath: true,
      names: /sku/,
      accepts: [],
      target: async () => ({
        send: (text) =>
          rawRequest(platform.url, 'PUT', `/admin/stock/${percentEncoded(text)}`, { ...json, ...admin }, JSON.stringify({ available: 1, unitPrice: 1 })),
        state: () => world.query('SELECT sku, available, unit_price FROM stock ORDER BY sku'),
      }),
    },
    {
      name: 'GET /orders/:id',
      inPath: true,
      names: /uuid/i,
      accepts: [],
      target: async () => ({ send: (text) => rawRequest(platform.url, 'GET', `/orders/${percentEncoded(text)}`, {}), state: ordersPlaced }),
    },
    {
      name: 'POST /payments/callback tradeNo',
      names: /tradeNo/,
      accepts: ['a right-to-left override'],
      target: async () => {
        const confirmed = await confirmedOrder();
        return {
          send: (text) => {
            const rawBody = JSON.stringify({ orderId: confirmed.id, tradeNo: text, status: 'TRADE_SUCCESS', amount: confirmed.totalAmount });
            return rawRequest(platform.url, 'POST', '/payments/callback', { ...json, 'x-signature': signCallback(rawBody) }, rawBody);
          },
          state: () => world.query('SELECT status, trade_no FROM orders WHERE id = $1', [confirmed.id]),
          accepted: async (text, answer) => {
            expect({ status: answer.status, text: answer.text }).toEqual({ status: 200, text: 'success' });
            expect(await world.query('SELECT status, trade_no FROM orders WHERE id = $1', [confirmed.id])).toEqual([{ status: 'PAID', trade_no: text }]);
          },
        };
      },
    },
    {
      name: 'POST /payments/callback orderId',
      names: /orderId/,
      accepts: [],
      target: async () => ({
        send: (text) => {
          const rawBody = JSON.stringify({ orderId: text, tradeNo: 'T-1', status: 'TRADE_SUCCESS', amount: 100 });
          return rawRequest(platform.url, 'POST', '/payments/callback', { ...json, 'x-signature': signCallback(rawBody) }, rawBody);
        },
        state: () => count('orders WHERE trade_no IS NOT NULL'),
      }),
    },
    {
      name: 'POST /admin/failed-messages/:id/discard reason',
      names: /reason/,
      accepts: ['a right-to-left override'],
      target: async () => {
        const id = await failedRow();
        const row = () => world.query('SELECT status, discard_reason FROM failed_messages WHERE id = $1', [id]);
        return {
          send: (text) => rawRequest(platform.url, 'POST', `/admin/failed-messages/${id}/discard`, { ...json, ...admin }, JSON.stringify({ reason: text })),
          state: row,
          accepted: async (text, answer) => {
            expect(answer.status).toBe(200);
            expect(await row()).toEqual([{ status: 'DISCARDED', discard_reason: text }]);
          },
        };
      },
    },
    {
      name: 'POST /admin/failed-messages/retry handler',
      names: /handler/,
      accepts: ['a right-to-left override'],
      target: async () => {
        await failedRow();
        // The probe's rows: a notification of an earlier case may fail meanwhile and add a row of its own.
        const rows = () => world.query(`SELECT id, status FROM failed_messages WHERE handler = 'bad-input.probe' ORDER BY id`);
        return {
          send: (text) => rawRequest(platform.url, 'POST', '/admin/failed-messages/retry', { ...json, ...admin }, JSON.stringify({ handler: text })),
          state: rows,
          accepted: async (_, answer) => {
            expect(answer.status).toBe(202);
            expect(answer.body).toEqual({ count: 0, skipped: 0 });
          },
        };
      },
    },
    // A query value that is not UTF-8 once percent-decoded (`a%ED%A0%80b`) is refused naming it, as a path is.
    ...(['handler', 'q'] as const).map(
      (parameter): TextField => ({
        name: `GET /admin/failed-messages?${parameter}=`,
        names: new RegExp(`parameter ${parameter}\\b|^${parameter} `),
        accepts: ['a right-to-left override'],
        target: async () => ({
          send: (text) => rawRequest(platform.url, 'GET', `/admin/failed-messages?${parameter}=${percentEncoded(text)}`, admin),
          // The probe rows only: other cases' orders may still be failing their notifications meanwhile.
          state: () => count(`failed_messages WHERE handler = 'bad-input.probe'`),
          accepted: async (_, answer) => {
            expect(answer.status).toBe(200);
            expect(answer.body).toEqual({ items: [], nextCursor: null });
          },
        }),
      }),
    ),
    {
      name: 'GET /admin/failed-messages?cursor=',
      names: /cursor/,
      accepts: [],
      target: async () => ({
        send: (text) => rawRequest(platform.url, 'GET', `/admin/failed-messages?cursor=${percentEncoded(text)}`, admin),
        // The probe rows only: other cases' orders may still be failing their notifications meanwhile.
        state: () => count(`failed_messages WHERE handler = 'bad-input.probe'`),
      }),
    },
    {
      name: 'GET /admin/deliveries?orderId=',
      names: /uuid|orderId/i,
      accepts: [],
      target: async () => ({
        send: (text) => rawRequest(platform.url, 'GET', `/admin/deliveries?orderId=${percentEncoded(text)}`, admin),
        state: ordersPlaced,
      }),
    },
  ];

  const cases = fields.flatMap((field) => (Object.keys(VARIANTS) as Variant[]).map((variant) => [field.name, variant, field] as const));

  it.each(cases)('%s with %s: 400 naming it and nothing changed, or accepted as sent', async (_, variant, field) => {
    const text = VARIANTS[variant];
    const target = await field.target();
    const before = await target.state();
    const answer = await target.send(text);
    expect(answer.status).toBeLessThan(500);
    if (field.accepts.includes(variant)) {
      await target.accepted!(text, answer);
      return;
    }
    const names = field.refusedByHttp?.includes(variant) ? undefined : field.inPath && variant === 'an unpaired surrogate' ? /URL path/ : field.names;
    expectError(answer, 400, names);
    expect(await target.state()).toEqual(before);
  });

  it('refuses a tab in the Idempotency-Key header (HTTP allows it; U+0009 is a control character)', async () => {
    const before = await ordersPlaced();
    expectError(await postOrder(order({}), { 'idempotency-key': 'key\twith-tab' }), 400, /Idempotency-Key/);
    expect(await ordersPlaced()).toBe(before);
  });

  it('refuses a C1 control sent as its one latin-1 byte (0x85) in the Idempotency-Key header', async () => {
    const before = await ordersPlaced();
    expectError(await postOrder(order({}), { 'idempotency-key': Buffer.from('key\x85', 'latin1') }), 400, /Idempotency-Key/);
    expect(await ordersPlaced()).toBe(before);
  });

  it('refuses a newline or a tab inside a JSON text field, where JSON can carry them', async () => {
    const before = await ordersPlaced();
    expectError(await postOrder(order({ merchantId: 'line\nbreak' })), 400, /merchantId/);
    expectError(await postOrder(order({ merchantId: 'tab\there' })), 400, /merchantId/);
    expect(await ordersPlaced()).toBe(before);
  });
});
