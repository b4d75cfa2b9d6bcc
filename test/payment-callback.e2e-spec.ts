import { randomUUID } from 'node:crypto';
import { CommittedOrders } from '../src/orders/committed-orders';
import { OrdersRepository } from '../src/orders/orders.repository';
import { CallbackBody, postCallback, signCallback } from './support/contract-callback';
import { expectError } from './support/contract-errors';
import { WireTap } from './support/contract-wire';
import { http } from './support/http';
import { MerchantServer } from './support/merchant-server';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** SPEC §4 `POST /payments/callback`: the gateway's signed, asynchronous word on a charge. */
describe('POST /payments/callback', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let merchant: MerchantServer;
  let wire: WireTap;

  beforeAll(async () => {
    world = await TestWorld.create('payment_callback');
    merchant = await MerchantServer.start();
    platform = await world.start();
    // Bound to every event before anything is paid, so it sees every order.paid there is; and as
    // a consumer of them all it lets every event be routed (order.confirmed has no handler queue of
    // its own yet, and the publisher keeps an unroutable event in the outbox).
    wire = await WireTap.open(world.rabbitmqUrl, ['#']);
  });
  afterAll(async () => {
    await wire?.close();
    await world.destroy();
    await merchant?.stop();
  });

  /** A CONFIRMED order of `quantity` × `sku` (stock set to `available` first). */
  async function confirmedOrder(sku: string, quantity = 2, unitPrice = 1250, available = 10) {
    await setStock(platform.url, sku, available, unitPrice);
    const placed = await placeOrder(platform.url, [{ sku, quantity }], `${merchant.url}/notify`);
    const confirmed = await orderReaches(platform.url, placed.id, ['CONFIRMED', 'REJECTED'], 30_000);
    expect(confirmed.status).toBe('CONFIRMED');
    expect(confirmed.totalAmount).toBe(quantity * unitPrice);
    return confirmed as { id: string; totalAmount: number; currency: string };
  }

  const getOrder = async (id: string) => (await http(platform.url, 'GET', `/orders/${id}`)).body;
  const available = async (sku: string) => (await http(platform.url, 'GET', `/stock/${sku}`)).body.available as number;
  const outboxRows = async () => Number((await world.query<{ count: string }>('SELECT count(*) AS count FROM outbox'))[0].count);

  /** Every event published so far has left the outbox and reached the wire tap. */
  async function settled(): Promise<void> {
    await waitFor(async () => (await outboxRows()) === 0, { what: 'the outbox to empty', timeoutMs: 30_000 });
    await wire.caughtUp(30_000);
  }

  /** The order is exactly as it was when confirmed: no payment, nothing emitted for it. */
  async function expectUnchanged(orderId: string, sku: string, stockLeft: number) {
    await settled();
    const order = await getOrder(orderId);
    expect(order.status).toBe('CONFIRMED');
    expect(order.payment).toBeNull();
    expect(order).not.toHaveProperty('reason');
    const [row] = await world.query<{ trade_no: string | null; paid_at: Date | null; status: string }>(
      'SELECT status, trade_no, paid_at FROM orders WHERE id = $1',
      [orderId],
    );
    expect(row).toEqual({ status: 'CONFIRMED', trade_no: null, paid_at: null });
    expect(wire.matching('order.paid', orderId)).toHaveLength(0);
    expect(wire.matching('order.cancelled', orderId)).toHaveLength(0);
    expect(await available(sku)).toBe(stockLeft);
  }

  it('records a valid TRADE_SUCCESS: answers `success`, the order is PAID with its tradeNo, order.paid goes out once', async () => {
    const order = await confirmedOrder('PC-VALID', 2, 1250);
    const tradeNo = `T-${randomUUID()}`;
    const answer = await postCallback(platform.url, { orderId: order.id, tradeNo, status: 'TRADE_SUCCESS', amount: order.totalAmount });
    expect({ status: answer.status, text: answer.text }).toEqual({ status: 200, text: 'success' });

    const paid = await getOrder(order.id);
    expect(paid.status).toBe('PAID');
    expect(paid.payment).toEqual({ status: 'PAID', tradeNo, paidAt: expect.any(String) });
    const paidAt = Date.parse(paid.payment.paidAt);
    expect(new Date(paidAt).toISOString()).toBe(paid.payment.paidAt);
    // Stamped now: 60 s only rules out a wrong clock or unit, far above any scheduling delay.
    expect(Math.abs(Date.now() - paidAt)).toBeLessThan(60_000);

    const [event] = await waitFor(() => wire.matching('order.paid', order.id).length > 0 && wire.matching('order.paid', order.id), {
      what: 'order.paid on the wire',
      timeoutMs: 30_000,
    });
    expect(event.body).toMatchObject({
      type: 'order.paid',
      data: { orderId: order.id, tradeNo, amount: order.totalAmount, currency: 'CNY', paidAt: paid.payment.paidAt },
    });
    expect(event.messageId).toBe(event.body.id);

    // The merchant hears of it (notify.merchant ← order.paid).
    const notification = await waitFor(() => merchant.forOrder(order.id).find((request) => request.body.type === 'order.paid'), {
      what: 'the merchant to be notified',
      timeoutMs: 30_000,
    });
    expect(notification.body).toMatchObject({ orderId: order.id, status: 'PAID', tradeNo, totalAmount: order.totalAmount });
    await settled();
    expect(wire.matching('order.paid', order.id)).toHaveLength(1);
    expect(await available('PC-VALID')).toBe(8);
  });

  it('answers a duplicate callback `success` again, without a second order.paid or a second notification', async () => {
    const order = await confirmedOrder('PC-DUPLICATE', 1, 990);
    const callback: CallbackBody = { orderId: order.id, tradeNo: `T-${randomUUID()}`, status: 'TRADE_SUCCESS', amount: order.totalAmount };
    const first = await postCallback(platform.url, callback);
    expect({ status: first.status, text: first.text }).toEqual({ status: 200, text: 'success' });
    const paidAt = (await getOrder(order.id)).payment.paidAt;
    await waitFor(() => wire.matching('order.paid', order.id).length === 1, { what: 'the first order.paid', timeoutMs: 30_000 });
    await waitFor(async () => (await getOrder(order.id)).notification.state === 'DELIVERED', {
      what: 'the merchant notification to be delivered',
      timeoutMs: 30_000,
    });

    for (let replay = 0; replay < 3; replay++) {
      const again = await postCallback(platform.url, callback);
      expect({ status: again.status, text: again.text }).toEqual({ status: 200, text: 'success' });
    }
    // Concurrent duplicates too: the order row is locked, only one of all of them paid it.
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => postCallback(platform.url, callback)));
    expect(concurrent.map((answer) => `${answer.status} ${answer.text}`)).toEqual(Array(5).fill('200 success'));

    await settled();
    expect(wire.matching('order.paid', order.id)).toHaveLength(1);
    const after = await getOrder(order.id);
    expect(after).toMatchObject({ status: 'PAID', payment: { status: 'PAID', tradeNo: callback.tradeNo, paidAt } });
    expect(merchant.forOrder(order.id).filter((request) => request.body.type === 'order.paid')).toHaveLength(1);
  });

  it('concurrent first callbacks for one order pay it once', async () => {
    const order = await confirmedOrder('PC-RACE', 3, 100);
    const callback: CallbackBody = { orderId: order.id, tradeNo: `T-${randomUUID()}`, status: 'TRADE_SUCCESS', amount: order.totalAmount };
    const answers = await Promise.all(Array.from({ length: 6 }, () => postCallback(platform.url, callback)));
    expect(answers.map((answer) => `${answer.status} ${answer.text}`)).toEqual(Array(6).fill('200 success'));
    await waitFor(() => wire.matching('order.paid', order.id).length > 0, { what: 'order.paid', timeoutMs: 30_000 });
    await settled();
    expect(wire.matching('order.paid', order.id)).toHaveLength(1);
  });

  describe('refuses a callback that is not signed with the secret: 401, no change', () => {
    const forgeries: [string, (rawBody: string) => string | null][] = [
      ['no X-Signature', () => null],
      ['a signature with another secret', (rawBody) => signCallback(rawBody, 'not-the-callback-secret-0000000')],
      ['the signature of another body', (rawBody) => signCallback(rawBody.replace('TRADE_SUCCESS', 'TRADE_CLOSED'))],
      ['a truncated signature', (rawBody) => signCallback(rawBody).slice(0, 63)],
      ['a signature that is not hex', () => 'z'.repeat(64)],
      ['an empty signature', () => ''],
    ];

    it.each(forgeries)('%s', async (_, forge) => {
      const sku = `PC-FORGED-${randomUUID().slice(0, 8)}`;
      const order = await confirmedOrder(sku, 2, 700);
      const body = { orderId: order.id, tradeNo: `T-${randomUUID()}`, status: 'TRADE_SUCCESS', amount: order.totalAmount };
      const answer = await postCallback(platform.url, body, forge(JSON.stringify(body)));
      expectError(answer, 401);
      await expectUnchanged(order.id, sku, 8);
    });

    it('an unsigned TRADE_CLOSED cancels nothing', async () => {
      const order = await confirmedOrder('PC-FORGED-CLOSE', 4, 50);
      const answer = await postCallback(
        platform.url,
        { orderId: order.id, tradeNo: `T-${randomUUID()}`, status: 'TRADE_CLOSED', amount: order.totalAmount },
        'f'.repeat(64),
      );
      expectError(answer, 401);
      await expectUnchanged(order.id, 'PC-FORGED-CLOSE', 6);
    });
  });

  it.each([
    ['less than the total', (total: number) => total - 1],
    ['more than the total', (total: number) => total + 1],
    ['zero', () => 0],
  ])('answers 400 to an amount %s, and changes nothing', async (_, amountOf) => {
    const sku = `PC-AMOUNT-${randomUUID().slice(0, 8)}`;
    const order = await confirmedOrder(sku, 2, 1500);
    for (const status of ['TRADE_SUCCESS', 'TRADE_CLOSED'] as const) {
      const answer = await postCallback(platform.url, { orderId: order.id, tradeNo: `T-${randomUUID()}`, status, amount: amountOf(order.totalAmount) });
      expectError(answer, 400, /amount/);
    }
    await expectUnchanged(order.id, sku, 8);
  });

  it('cancels a CONFIRMED order on TRADE_CLOSED and returns its stock (stock.release)', async () => {
    const order = await confirmedOrder('PC-CLOSED', 3, 400, 10);
    expect(await available('PC-CLOSED')).toBe(7);
    const answer = await postCallback(platform.url, {
      orderId: order.id,
      tradeNo: `T-${randomUUID()}`,
      status: 'TRADE_CLOSED',
      amount: order.totalAmount,
    });
    expect({ status: answer.status, text: answer.text }).toEqual({ status: 200, text: 'success' });

    const cancelled = await getOrder(order.id);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', payment: null, reason: expect.any(String) });
    await waitFor(async () => (await available('PC-CLOSED')) === 10, { what: 'the stock to be released', timeoutMs: 30_000 });
    const [reservation] = await world.query<{ state: string }>('SELECT state FROM stock_reservations WHERE order_id = $1', [order.id]);
    expect(reservation.state).toBe('RELEASED');

    // Closed again: still `success`, released once (G2), nothing more published.
    const again = await postCallback(platform.url, { orderId: order.id, tradeNo: `T-${randomUUID()}`, status: 'TRADE_CLOSED', amount: order.totalAmount });
    expect({ status: again.status, text: again.text }).toEqual({ status: 200, text: 'success' });
    await settled();
    expect(wire.matching('order.cancelled', order.id)).toHaveLength(1);
    expect(wire.matching('order.paid', order.id)).toHaveLength(0);
    expect(await available('PC-CLOSED')).toBe(10);
    expect((await getOrder(order.id)).status).toBe('CANCELLED');
  });

  it('TRADE_CLOSED after the order was paid leaves it PAID', async () => {
    const order = await confirmedOrder('PC-PAID-CLOSED', 1, 800);
    const tradeNo = `T-${randomUUID()}`;
    expect((await postCallback(platform.url, { orderId: order.id, tradeNo, status: 'TRADE_SUCCESS', amount: order.totalAmount })).text).toBe('success');
    expect((await postCallback(platform.url, { orderId: order.id, tradeNo, status: 'TRADE_CLOSED', amount: order.totalAmount })).text).toBe('success');
    await settled();
    expect(await getOrder(order.id)).toMatchObject({ status: 'PAID', payment: { tradeNo } });
    expect(wire.matching('order.cancelled', order.id)).toHaveLength(0);
    expect(await available('PC-PAID-CLOSED')).toBe(9);
  });

  it("remembers a paid order's outcome for this process's notify consumer only once it has committed", async () => {
    const outcomes = platform.app.get(CommittedOrders);
    const order = await confirmedOrder('CB-REMEMBER');
    const body = { orderId: order.id, tradeNo: 'T-remember', status: 'TRADE_SUCCESS' as const, amount: order.totalAmount };
    // The move goes through, then the commit fails: its order.paid cannot be written.
    await world.query(`CREATE FUNCTION refuse_paid() RETURNS trigger LANGUAGE plpgsql AS $$
                         BEGIN IF NEW.envelope->'data'->>'orderId' = '${order.id}' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`);
    await world.query('CREATE TRIGGER refuse_paid BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION refuse_paid()');
    try {
      expect((await postCallback(platform.url, body)).status).toBe(500);
    } finally {
      await world.query('DROP TRIGGER refuse_paid ON outbox; DROP FUNCTION refuse_paid()');
    }
    expect((await getOrder(order.id)).status).toBe('CONFIRMED');
    expect(outcomes.finalOutcome(order.id)).toBeUndefined();

    const answer = await postCallback(platform.url, body);
    expect(answer.text).toBe('success');
    // What it remembers is what the database holds.
    expect(outcomes.finalOutcome(order.id)).toEqual(await platform.app.get(OrdersRepository).outcomeOf(order.id));
    expect(outcomes.finalOutcome(order.id)).toMatchObject({ status: 'PAID', tradeNo: 'T-remember', totalAmount: order.totalAmount, notifyUrl: `${merchant.url}/notify` });
    const told = await waitFor(() => merchant.forOrder(order.id).find((request) => request.body.type === 'order.paid'), { what: "the merchant told of the order's payment" });
    expect(told.body).toMatchObject({ status: 'PAID', tradeNo: 'T-remember', totalAmount: order.totalAmount });
  });

  it('answers 404 to a callback for an unknown order', async () => {
    const orderId = randomUUID();
    expectError(await postCallback(platform.url, { orderId, tradeNo: 'T-unknown', status: 'TRADE_SUCCESS', amount: 100 }), 404, new RegExp(orderId));
  });

  it.each([
    ['an unknown status', { status: 'TRADE_FINISHED' }, /status/],
    ['a non-integer amount', { amount: 12.5 }, /amount/],
    ['an orderId that is not a UUID', { orderId: 'order-1' }, /orderId/],
    ['an empty tradeNo', { tradeNo: '' }, /tradeNo/],
  ])('answers 400 to a signed callback with %s', async (_, override, field) => {
    const body = { orderId: randomUUID(), tradeNo: 'T-1', status: 'TRADE_SUCCESS', amount: 100, ...override };
    expectError(await postCallback(platform.url, body), 400, field);
  });
});
