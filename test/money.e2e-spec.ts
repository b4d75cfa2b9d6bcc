import { randomUUID } from 'node:crypto';
import { postCallback, signCallback } from './support/contract-callback';
import { expectError } from './support/contract-errors';
import { http } from './support/http';
import { orderReaches, placeOrder } from './support/orders';
import { RunningApp, TestWorld } from './support/test-world';

/**
 * SPEC §4: money is exact. A unit price is 0..10^12 minor units, stock fits its column, and
 * the gateway's amount is compared with the order's total exactly — near 2^53 too, and
 * whatever the JSON parser would round.
 */
describe('money is exact', () => {
  const MAX_UNIT_PRICE = 1_000_000_000_000;
  let world: TestWorld;
  let platform: RunningApp;

  beforeAll(async () => {
    world = await TestWorld.create('money');
    platform = await world.start();
  });
  afterAll(() => world.destroy());

  const putStock = (sku: string, body: unknown) => http(platform.url, 'PUT', `/admin/stock/${sku}`, { body, admin: true });
  const stockRow = async (sku: string) =>
    (await world.query<{ available: number; unit_price: string }>('SELECT available, unit_price FROM stock WHERE sku = $1', [sku]))[0];

  describe('PUT /admin/stock/:sku', () => {
    it.each([
      ['unitPrice 2^53 − 1 (the price of the issue)', { available: 10, unitPrice: Number.MAX_SAFE_INTEGER }, /unitPrice/],
      ['unitPrice 10^12 + 1', { available: 10, unitPrice: MAX_UNIT_PRICE + 1 }, /unitPrice/],
      ['unitPrice 1e300', { available: 10, unitPrice: 1e300 }, /unitPrice/],
      ['unitPrice −1', { available: 10, unitPrice: -1 }, /unitPrice/],
      ['unitPrice 1.5', { available: 10, unitPrice: 1.5 }, /unitPrice/],
      ['unitPrice as a string', { available: 10, unitPrice: '100' }, /unitPrice/],
      ['available −1', { available: -1, unitPrice: 100 }, /available/],
      ['available 2^31 (over the integer column)', { available: 2 ** 31, unitPrice: 100 }, /available/],
      ['available 10^9 + 1', { available: 1_000_000_001, unitPrice: 100 }, /available/],
      ['available 2.5', { available: 2.5, unitPrice: 100 }, /available/],
    ])('answers 400 naming the field to %s, and changes nothing', async (_, body, field) => {
      const sku = `MONEY-BAD-${randomUUID().slice(0, 8)}`;
      expectError(await putStock(sku, body), 400, field);
      expect(await stockRow(sku)).toBeUndefined();

      // An existing SKU keeps what it had.
      expect((await putStock(sku, { available: 7, unitPrice: 4242 })).status).toBe(200);
      expectError(await putStock(sku, body), 400, field);
      expect(await stockRow(sku)).toEqual({ available: 7, unit_price: '4242' });
    });

    it('takes the largest values exactly: unitPrice 10^12, available 10^9', async () => {
      const answer = await putStock('MONEY-MAX', { available: 1_000_000_000, unitPrice: MAX_UNIT_PRICE });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ sku: 'MONEY-MAX', available: 1_000_000_000, unitPrice: MAX_UNIT_PRICE });
      expect((await http(platform.url, 'GET', '/stock/MONEY-MAX')).body).toEqual({ sku: 'MONEY-MAX', available: 1_000_000_000, unitPrice: MAX_UNIT_PRICE });
      expect(await stockRow('MONEY-MAX')).toEqual({ available: 1_000_000_000, unit_price: '1000000000000' });
    });
  });

  describe('POST /payments/callback compares the amount exactly', () => {
    // 9 SKUs × 1000 × 10^12 = 9 × 10^15: above 2^52, where a double still holds every integer
    // but 0.5 no longer, and just under 2^53 − 1.
    const TOTAL = 9_000_000_000_000_000;
    let order: { id: string; totalAmount: number };

    beforeAll(async () => {
      const skus = Array.from({ length: 9 }, (_, index) => `MONEY-BIG-${index}`);
      for (const sku of skus) expect((await putStock(sku, { available: 1000, unitPrice: MAX_UNIT_PRICE })).status).toBe(200);
      order = await placeOrder(platform.url, skus.map((sku) => ({ sku, quantity: 1000 })));
      expect(order.totalAmount).toBe(TOTAL);
      expect((await orderReaches(platform.url, order.id, ['CONFIRMED', 'REJECTED'], 30_000)).status).toBe('CONFIRMED');
      expect(await world.query('SELECT total_amount FROM orders WHERE id = $1', [order.id])).toEqual([{ total_amount: '9000000000000000' }]);
    });

    const unchanged = async () =>
      expect(await world.query('SELECT status, trade_no FROM orders WHERE id = $1', [order.id])).toEqual([{ status: 'CONFIRMED', trade_no: null }]);
    /** Signs and sends a body written by hand, so the amount goes exactly as written. */
    const sendWritten = (amount: string) => {
      const rawBody = `{"orderId":"${order.id}","tradeNo":"T-written","status":"TRADE_SUCCESS","amount":${amount}}`;
      return http(platform.url, 'POST', '/payments/callback', { rawBody, headers: { 'x-signature': signCallback(rawBody) } });
    };

    it.each([
      ['one minor unit more', TOTAL + 1],
      ['one minor unit less', TOTAL - 1],
      ['2^53, not a safe integer', 2 ** 53],
      ['1e300', 1e300],
      ['−1', -1],
    ])('answers 400 naming amount to %s, and changes nothing', async (_, amount) => {
      const answer = await postCallback(platform.url, { orderId: order.id, tradeNo: `T-${randomUUID()}`, status: 'TRADE_SUCCESS', amount });
      expectError(answer, 400, /amount/);
      await unchanged();
    });

    it.each([
      ['a half that JSON.parse rounds onto the total', `${TOTAL}.5`],
      ['a tiny fraction', `${TOTAL}.0000001`],
      ['an exponent', '9e15'],
      ['the total with a zero fraction', `${TOTAL}.0`],
    ])('answers 400 naming amount to %s, and changes nothing', async (_, written) => {
      expectError(await sendWritten(written), 400, /amount/);
      await unchanged();
    });

    it('takes the exact total: 200 success, the order PAID', async () => {
      const answer = await sendWritten(String(TOTAL));
      expect({ status: answer.status, text: answer.text }).toEqual({ status: 200, text: 'success' });
      expect(await world.query('SELECT status, trade_no FROM orders WHERE id = $1', [order.id])).toEqual([{ status: 'PAID', trade_no: 'T-written' }]);
      expect((await http(platform.url, 'GET', `/orders/${order.id}`)).body).toMatchObject({ status: 'PAID', totalAmount: TOTAL });
    });
  });
});
