import { randomUUID } from 'node:crypto';
import { postCallback } from './support/contract-callback';
import { expectError } from './support/contract-errors';
import { WireTap } from './support/contract-wire';
import { holdsFor } from './support/failed-messages';
import { http } from './support/http';
import { MerchantServer } from './support/merchant-server';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { FakeGateway } from './support/payment-gateway';
import { consumersReady } from './support/reliability-broker';
import { queueDeclarations } from './support/retry-helpers';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/**
 * SPEC §4 `POST /orders/:id/pay`, §7 (PREPARE / check-back, gateway protocol) and the
 * unpaid-order timeout (§5), against a gateway of the test's own over real HTTP.
 */

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/**
 * Bounded "nothing more happens" window after an outcome has settled. Derived from the
 * intervals the worlds run with: a duplicate could only come from a relay re-publish
 * (RELAY_INTERVAL ≤ 200ms), a handler retry (HANDLER_RETRY_SCHEDULE 100ms,200ms) or a
 * notify retry (NOTIFY_RETRY_SCHEDULE 100ms,200ms,400ms = 700ms in all), or a check-back
 * tick (≤ 200ms); 2.5 s covers all of them with room for a loaded two-core machine.
 */
const QUIET_WINDOW_MS = 2_500;

interface PaymentWorld {
  world: TestWorld;
  platform: () => RunningApp;
  wire: WireTap;
}

/** Helpers bound to one world and the platform currently serving it. */
function paymentHelpers({ world, platform, wire }: PaymentWorld) {
  const base = () => platform().url;

  async function confirmedOrder(notifyUrl: string, quantity = 2, unitPrice = 1250) {
    const sku = unique('PAY');
    await setStock(base(), sku, 10, unitPrice);
    const placed = await placeOrder(base(), [{ sku, quantity }], notifyUrl);
    const confirmed = await orderReaches(base(), placed.id, ['CONFIRMED', 'REJECTED'], 30_000);
    expect(confirmed.status).toBe('CONFIRMED');
    return { ...(confirmed as { id: string; totalAmount: number; currency: string }), sku };
  }

  const pay = (orderId: string) => http(base(), 'POST', `/orders/${orderId}/pay`);
  const getOrder = async (id: string) => (await http(base(), 'GET', `/orders/${id}`)).body;

  /** Outbox rows (any state) of an order: its PREPARE row, or its events not yet published. */
  const outboxOf = (orderId: string) =>
    world.query<{ id: string; state: string; kind: string | null; attempts: number; last_error: string | null; routing_key: string | null }>(
      `SELECT id, state, kind, attempts, last_error, routing_key FROM outbox
        WHERE check_back_id = $1 OR envelope -> 'data' ->> 'orderId' = $1`,
      [orderId],
    );

  /** The order's PREPARE row(s): a charge whose outcome is not recorded yet. */
  const prepareRowsOf = (orderId: string) =>
    world.query<{ state: string; kind: string; attempts: number }>('SELECT state, kind, attempts FROM outbox WHERE check_back_id = $1', [orderId]);

  /** Nothing of this order is left in the outbox, and the wire tap has everything published so far. */
  async function settled(orderId: string): Promise<void> {
    await waitFor(async () => (await outboxOf(orderId)).length === 0, { what: `the outbox of ${orderId} to empty`, timeoutMs: 30_000 });
    await wire.caughtUp(30_000);
  }

  return { confirmedOrder, pay, getOrder, outboxOf, prepareRowsOf, settled };
}

describe('paying through an HTTP gateway', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let gateway: FakeGateway;
  let merchant: MerchantServer;
  let wire: WireTap;
  let helpers: ReturnType<typeof paymentHelpers>;

  beforeAll(async () => {
    world = await TestWorld.create('payment_gateway');
    gateway = await FakeGateway.start();
    merchant = await MerchantServer.start();
    // Timeout 300ms < CHECKBACK_AFTER 500ms: a direct answer is always given up on before the check-back may ask.
    // The backoff after an unanswered check-back is compressed from 2s (waits of 1.3 s at least: the timeout + 1 s).
    platform = await world.start({ PAYMENT_GATEWAY_URL: gateway.url, PAYMENT_GATEWAY_TIMEOUT: '300ms', CHECKBACK_AFTER: '500ms', CHECKBACK_BACKOFF: '500ms' });
    wire = await WireTap.open(world.rabbitmqUrl, ['order.paid', 'order.cancelled']);
    helpers = paymentHelpers({ world, platform: () => platform, wire });
  });
  afterAll(async () => {
    await wire?.close();
    await world?.destroy();
    await gateway?.stop();
    await merchant?.stop();
  });

  it('gateway PAID → 200 { PAID, tradeNo }, the order is PAID with that payment, order.paid goes out once', async () => {
    const { confirmedOrder, pay, getOrder, settled } = helpers;
    const order = await confirmedOrder(`${merchant.url}/notify`);
    const answer = await pay(order.id);
    const charge = gateway.charges.get(order.id)!;
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: { status: 'PAID', tradeNo: charge.tradeNo } });
    expect(gateway.chargeRequests(order.id).map((request) => request.body)).toEqual([
      { orderId: order.id, amount: order.totalAmount, currency: 'CNY' },
    ]);

    const paid = await getOrder(order.id);
    expect(paid).toMatchObject({ status: 'PAID', payment: { status: 'PAID', tradeNo: charge.tradeNo, paidAt: expect.any(String) } });
    await settled(order.id);
    const events = wire.matching('order.paid', order.id);
    expect(events).toHaveLength(1);
    expect(events[0].body.data).toEqual({
      orderId: order.id,
      tradeNo: charge.tradeNo,
      amount: order.totalAmount,
      currency: 'CNY',
      paidAt: paid.payment.paidAt,
    });
    // The direct answer settled it: the check-back never had to ask.
    expect(gateway.queries(order.id)).toHaveLength(0);
  });

  it('gateway DECLINED → 402, the order stays CONFIRMED and payable, no PREPARE row is left', async () => {
    const { confirmedOrder, pay, getOrder, prepareRowsOf, settled } = helpers;
    const order = await confirmedOrder(`${merchant.url}/notify`);
    gateway.script(order.id, { charge: 'decline' });
    const answer = await pay(order.id);
    expect(answer.status).toBe(402);
    expect(answer.body).toMatchObject({ status: 'DECLINED' });
    expect(await getOrder(order.id)).toMatchObject({ status: 'CONFIRMED', payment: null });
    expect(await prepareRowsOf(order.id)).toEqual([]);

    // Declined is final for that charge only: the order can be paid again.
    gateway.script(order.id, { charge: 'pay' });
    const again = await pay(order.id);
    expect({ status: again.status, body: again.body }).toEqual({
      status: 200,
      body: { status: 'PAID', tradeNo: gateway.charges.get(order.id)!.tradeNo },
    });
    await settled(order.id);
    expect(wire.matching('order.paid', order.id)).toHaveLength(1);
  });

  it('paying an order that is not CONFIRMED is 409 and does not reach the gateway', async () => {
    const { confirmedOrder, pay } = helpers;
    const order = await confirmedOrder(`${merchant.url}/notify`);
    expect((await pay(order.id)).status).toBe(200);
    const again = await pay(order.id);
    expect(again.status).toBe(409);
    expect(gateway.chargeRequests(order.id)).toHaveLength(1);
    expect((await pay(randomUUID())).status).toBe(404);
  });

  it('gateway charges and then hangs → 202 PAYMENT_PENDING; the check-back settles it PAID; the merchant hears once', async () => {
    const { confirmedOrder, pay, getOrder, settled } = helpers;
    const order = await confirmedOrder(`${merchant.url}/notify`);
    gateway.script(order.id, { charge: 'hang-after-charge' });
    const started = Date.now();
    const answer = await pay(order.id);
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 202, body: { status: 'PAYMENT_PENDING' } });
    // Not before PAYMENT_GATEWAY_TIMEOUT (300ms) ran out. Timed around the request, so load can
    // only lengthen it and a lower bound cannot flake; 20 ms is for timer and clock granularity.
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(gateway.charges.get(order.id)?.status).toBe('PAID');

    const paid = await orderReaches(platform.url, order.id, ['PAID'], 30_000);
    const charge = gateway.charges.get(order.id)!;
    expect(paid.payment).toEqual({ status: 'PAID', tradeNo: charge.tradeNo, paidAt: expect.any(String) });
    // It was the check-back that settled it: the gateway was asked, and the order was paid after that.
    // Cause and effect on one clock (the gateway stamps the query before answering it, the platform
    // stamps paidAt after reading that answer, both in this process), so load only widens the gap.
    const [firstQuery] = gateway.queries(order.id);
    expect(firstQuery).toBeDefined();
    expect(Date.parse(paid.payment.paidAt)).toBeGreaterThanOrEqual(firstQuery.at - 50);

    await settled(order.id);
    expect(wire.matching('order.paid', order.id)).toHaveLength(1);
    const notified = () => merchant.forOrder(order.id).filter((request) => request.body.type === 'order.paid');
    await waitFor(async () => (await getOrder(order.id)).notification.state === 'DELIVERED', {
      what: 'the merchant notification to be delivered',
      timeoutMs: 30_000,
    });
    expect(notified()).toHaveLength(1);
    expect(notified()[0].body).toMatchObject({ orderId: order.id, status: 'PAID', tradeNo: charge.tradeNo, totalAmount: order.totalAmount });
    await holdsFor(() => notified().length === 1 || `${notified().length} notifications`, QUIET_WINDOW_MS, 'one merchant notification');
    expect(wire.matching('order.paid', order.id)).toHaveLength(1);
  });

  it('gateway answers 5xx and never charged → 202; the check-back hears 404 and drops the PREPARE row; the order stays CONFIRMED', async () => {
    const { confirmedOrder, pay, getOrder, outboxOf, settled } = helpers;
    const order = await confirmedOrder(`${merchant.url}/notify`);
    gateway.script(order.id, { charge: 'fail-5xx' });
    const answer = await pay(order.id);
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 202, body: { status: 'PAYMENT_PENDING' } });
    // Until the check-back has an answer, the order shows its payment as pending.
    expect((await getOrder(order.id)).payment).toEqual({ status: 'PENDING' });

    await waitFor(() => gateway.queries(order.id).some((query) => query.answered === 404), { what: 'the check-back query', timeoutMs: 30_000 });
    await settled(order.id);
    expect(await outboxOf(order.id)).toEqual([]);
    expect(await getOrder(order.id)).toMatchObject({ status: 'CONFIRMED', payment: null });
    expect(gateway.charges.has(order.id)).toBe(false);
    expect(wire.matching('order.paid', order.id)).toHaveLength(0);
  });

  it('has no sandbox while a real gateway is configured: nobody can fake a charge', async () => {
    const { confirmedOrder } = helpers;
    const order = await confirmedOrder(`${merchant.url}/notify`);
    const charge = await http(platform.url, 'POST', '/sandbox/gateway/charges', { body: { orderId: order.id, amount: 1, currency: 'CNY' } });
    expect(charge.status).toBe(404);
    expect((await http(platform.url, 'GET', `/sandbox/gateway/charges/${order.id}`)).status).toBe(404);
  });

  it('gateway down for the check-back → asked again later with backoff (attempts grow, stuck after 5) → settled when it is back', async () => {
    const { confirmedOrder, pay, getOrder, outboxOf, settled } = helpers;
    const order = await confirmedOrder(`${merchant.url}/notify`);
    // The charge goes through, the connection breaks before the answer, and the gateway stays unreachable.
    gateway.script(order.id, { charge: 'down-after-charge', query: 'down' });
    const answer = await pay(order.id);
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 202, body: { status: 'PAYMENT_PENDING' } });

    const adminRow = async () => {
      const list = await http(platform.url, 'GET', '/admin/outbox', { admin: true });
      return (list.body.items as { checkBackId: string; state: string; attempts: number; lastError: string | null; stuck: boolean }[]).find(
        (row) => row.checkBackId === order.id,
      );
    };

    // Three unknowns: the row is still there, PREPARE, counting its attempts, not stuck yet.
    await waitFor(() => gateway.queries(order.id).length >= 3, { what: 'three check-backs', timeoutMs: 30_000 });
    const growing = await waitFor(async () => {
      const row = await adminRow();
      return row && row.attempts >= 3 && row.lastError ? row : undefined;
    }, { what: 'the outbox row to count three attempts' });
    expect(growing).toMatchObject({ state: 'PREPARE', stuck: false, lastError: expect.stringMatching(/unreachable|fetch failed|socket/i) });
    expect(await getOrder(order.id)).toMatchObject({ status: 'CONFIRMED', payment: { status: 'PENDING' } });

    // Five unknowns (waits of 1.3 s, 1.3 s, 2 s, 4 s: CHECKBACK_BACKOFF doubling, never under the timeout + 1 s): ops see it as stuck.
    const stuck = await waitFor(async () => {
      const row = await adminRow();
      return row && row.stuck && gateway.queries(order.id).length >= 5 ? row : undefined;
    }, { what: 'the row to be shown stuck', timeoutMs: 45_000, intervalMs: 100 });
    expect(stuck).toMatchObject({ state: 'PREPARE', attempts: 5 });

    // Asked again later, not hammered: every gap is at least the first backoff step, and they grow.
    // By arrival at the test's gateway: the platform keeps no record per check-back (the PREPARE
    // row holds only its count and next due time). Arrival can be late by the test process's
    // scheduling, tens of ms on a loaded machine, and by up to a check-back round (200 ms); the
    // waits start at 1.3 s and end at 4 s, so ">= 900 ms" has 400 ms of slack and "last > 2 × first"
    // a second.
    const gaps = gateway.queries(order.id).slice(1).map((query, index) => query.at - gateway.queries(order.id)[index].at);
    expect(gaps.every((gap) => gap >= 900)).toBe(true);
    expect(gaps[gaps.length - 1]).toBeGreaterThan(gaps[0] * 2);

    // The gateway is back: the next check-back (after at most the 8 s backoff step) settles it.
    gateway.script(order.id, { query: 'answer' });
    const paid = await orderReaches(platform.url, order.id, ['PAID'], 45_000);
    expect(paid.payment.tradeNo).toBe(gateway.charges.get(order.id)!.tradeNo);
    await settled(order.id);
    expect(await outboxOf(order.id)).toEqual([]);
    expect(wire.matching('order.paid', order.id)).toHaveLength(1);
  }, 120_000);
});

describe('the callback, the direct answer and the check-back racing for one payment', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let gateway: FakeGateway;
  let merchant: MerchantServer;
  let wire: WireTap;
  let helpers: ReturnType<typeof paymentHelpers>;

  beforeAll(async () => {
    world = await TestWorld.create('payment_race');
    gateway = await FakeGateway.start();
    merchant = await MerchantServer.start();
    // The check-back may ask 100ms after PREPARE (ticks every 100ms) while the direct answer is
    // still awaited (timeout 5s, far more than the race needs): all three paths can be in flight.
    platform = await world.start({
      PAYMENT_GATEWAY_URL: gateway.url,
      PAYMENT_GATEWAY_TIMEOUT: '5s',
      CHECKBACK_AFTER: '100ms',
      RELAY_INTERVAL: '100ms',
    });
    wire = await WireTap.open(world.rabbitmqUrl, ['order.paid']);
    helpers = paymentHelpers({ world, platform: () => platform, wire });
  });
  afterAll(async () => {
    await wire?.close();
    await world?.destroy();
    await gateway?.stop();
    await merchant?.stop();
  });

  it('settles once: one order.paid on the wire and one merchant notification (three rounds)', async () => {
    const { confirmedOrder, pay, getOrder, outboxOf, settled } = helpers;
    for (let round = 0; round < 3; round++) {
      const order = await confirmedOrder(`${merchant.url}/notify`, 1, 500 + round);
      // The gateway charges at once but holds every answer about the order back.
      gateway.hold(order.id);
      const direct = pay(order.id);
      // Lined up: the charge is made and awaited, and the check-back's query is in flight too.
      await waitFor(() => gateway.charges.has(order.id) && gateway.queries(order.id).length > 0, {
        what: `the charge and a check-back of round ${round} to reach the gateway`,
        timeoutMs: 30_000,
      });
      expect(await getOrder(order.id)).toMatchObject({ status: 'CONFIRMED' });
      const { tradeNo } = gateway.charges.get(order.id)!;
      // Let go of all three at once: the callback, and the gateway's answers to the charge and the query.
      const callback = postCallback(platform.url, { orderId: order.id, tradeNo, status: 'TRADE_SUCCESS', amount: order.totalAmount });
      gateway.release(order.id);
      const [directAnswer, callbackAnswer] = await Promise.all([direct, callback]);
      expect({ status: directAnswer.status, body: directAnswer.body }).toEqual({ status: 200, body: { status: 'PAID', tradeNo } });
      expect({ status: callbackAnswer.status, text: callbackAnswer.text }).toEqual({ status: 200, text: 'success' });
      await waitFor(() => gateway.queries(order.id).every((query) => query.answered === 200), { what: 'the check-back to be answered' });

      expect(await getOrder(order.id)).toMatchObject({ status: 'PAID', payment: { status: 'PAID', tradeNo } });
      await settled(order.id);
      expect(await outboxOf(order.id)).toEqual([]);
      expect(await world.query('SELECT * FROM payment_incidents WHERE order_id = $1', [order.id])).toEqual([]);
      await waitFor(async () => (await getOrder(order.id)).notification.state === 'DELIVERED', {
        what: 'the merchant notification to be delivered',
        timeoutMs: 30_000,
      });
      const paidEvents = () => wire.matching('order.paid', order.id).length;
      const notifications = () => merchant.forOrder(order.id).length;
      await holdsFor(
        async () => {
          await wire.caughtUp(30_000);
          return (paidEvents() === 1 && notifications() === 1) || `${paidEvents()} order.paid, ${notifications()} notifications`;
        },
        QUIET_WINDOW_MS,
        `one order.paid and one notification in round ${round}`,
      );
    }
  }, 120_000);
});

describe('the platform killed after the gateway charged, before the outcome was recorded', () => {
  let world: TestWorld;
  let gateway: FakeGateway;
  let merchant: MerchantServer;
  let wire: WireTap;

  beforeAll(async () => {
    world = await TestWorld.create('payment_crash');
    gateway = await FakeGateway.start();
    merchant = await MerchantServer.start();
  });
  afterAll(async () => {
    await wire?.close();
    await world?.destroy();
    await gateway?.stop();
    await merchant?.stop();
  });

  // Runs dist/main.js: `npm run build` first.
  it('a new process checks the charge back: the order is PAID and order.paid goes out once', async () => {
    // The child waits long for the gateway and never checks back itself before it dies.
    const child = await world.spawn({ PAYMENT_GATEWAY_URL: gateway.url, PAYMENT_GATEWAY_TIMEOUT: '60s', CHECKBACK_AFTER: '10m' });
    wire = await WireTap.open(world.rabbitmqUrl, ['order.paid']);
    const sku = unique('CRASH');
    await setStock(child.url, sku, 5, 3100);
    const placed = await placeOrder(child.url, [{ sku, quantity: 2 }], `${merchant.url}/notify`);
    expect((await orderReaches(child.url, placed.id, ['CONFIRMED', 'REJECTED'], 30_000)).status).toBe('CONFIRMED');

    gateway.script(placed.id, { charge: 'hang-after-charge' });
    const payment = http(child.url, 'POST', `/orders/${placed.id}/pay`).then(
      (answer) => ({ answered: answer.status }),
      (error: Error) => ({ failed: error.message }),
    );
    await waitFor(() => gateway.charges.get(placed.id)?.status === 'PAID', { what: 'the gateway to charge', timeoutMs: 30_000 });
    const exited = new Promise((resolve) => child.process.once('exit', (code, signal) => resolve({ code, signal })));
    child.process.kill('SIGKILL');
    expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await payment).toEqual({ failed: expect.any(String) });

    // What the dead process left: the order unpaid, and the PREPARE row that says a charge may have happened.
    expect(await world.query('SELECT status, trade_no FROM orders WHERE id = $1', [placed.id])).toEqual([{ status: 'CONFIRMED', trade_no: null }]);
    expect(await world.query(`SELECT state, kind FROM outbox WHERE check_back_id = $1`, [placed.id])).toEqual([{ state: 'PREPARE', kind: 'payment' }]);

    const platform = await world.start({ PAYMENT_GATEWAY_URL: gateway.url, PAYMENT_GATEWAY_TIMEOUT: '300ms', CHECKBACK_AFTER: '500ms' });
    const { settled } = paymentHelpers({ world, platform: () => platform, wire });
    const paid = await orderReaches(platform.url, placed.id, ['PAID'], 30_000);
    const { tradeNo } = gateway.charges.get(placed.id)!;
    expect(paid.payment).toEqual({ status: 'PAID', tradeNo, paidAt: expect.any(String) });
    expect(gateway.queries(placed.id).length).toBeGreaterThanOrEqual(1);
    expect(gateway.chargeRequests(placed.id)).toHaveLength(1);
    await settled(placed.id);
    expect(wire.matching('order.paid', placed.id)).toHaveLength(1);
    expect(wire.matching('order.paid', placed.id)[0].body.data).toMatchObject({ orderId: placed.id, tradeNo, amount: 6200 });
    await waitFor(() => merchant.forOrder(placed.id).length > 0, { what: 'the merchant to hear of it', timeoutMs: 30_000 });
    await holdsFor(
      async () => {
        await wire.caughtUp(30_000);
        const events = wire.matching('order.paid', placed.id).length;
        return (events === 1 && merchant.forOrder(placed.id).length === 1) || `${events} order.paid, ${merchant.forOrder(placed.id).length} notifications`;
      },
      QUIET_WINDOW_MS,
      'one order.paid and one notification',
    );
  }, 120_000);
});

describe('the unpaid-order timeout', () => {
  const TIMEOUT_MS = 1_000;
  let world: TestWorld;
  let platform: RunningApp;
  let merchant: MerchantServer;
  let wire: WireTap;

  beforeAll(async () => {
    world = await TestWorld.create('payment_timeout');
    merchant = await MerchantServer.start();
    platform = await world.start({ ORDER_PAYMENT_TIMEOUT: '1s' });
    wire = await WireTap.open(world.rabbitmqUrl, ['order.confirmed', 'order.cancelled', 'order.paid']);
  });
  afterAll(async () => {
    await wire?.close();
    await world?.destroy();
    await merchant?.stop();
  });

  it('cancels an unpaid order ≈1s after confirmation, releases its stock once, tells the merchant; a late payment is recorded as an incident', async () => {
    const { getOrder, settled } = paymentHelpers({ world, platform: () => platform, wire });
    const sku = unique('TIMEOUT');
    await setStock(platform.url, sku, 10, 700);
    const placed = await placeOrder(platform.url, [{ sku, quantity: 3 }], `${merchant.url}/notify`);

    const [confirmed] = await waitFor(() => wire.matching('order.confirmed', placed.id).length > 0 && wire.matching('order.confirmed', placed.id), {
      what: 'order.confirmed',
      timeoutMs: 30_000,
    });
    const [cancelled] = await waitFor(() => wire.matching('order.cancelled', placed.id).length > 0 && wire.matching('order.cancelled', placed.id), {
      what: 'order.cancelled',
      timeoutMs: 30_000,
    });
    // Both instants are the platform's own (the events' occurredAt): confirmed is stamped just
    // before it is published into the delay queue, cancelled as the handler cancels. G4's bound
    // (±max(10%, 250ms)) applies to the delay queue's release; upward we allow 500ms more for
    // the publish of order.confirmed and the handler's run on a loaded machine.
    const elapsed = Date.parse(cancelled.body.occurredAt) - Date.parse(confirmed.body.occurredAt);
    const tolerance = Math.max(0.1 * TIMEOUT_MS, 250);
    expect({ elapsed, onTime: elapsed >= TIMEOUT_MS - tolerance && elapsed <= TIMEOUT_MS + tolerance + 500 }).toEqual({ elapsed, onTime: true });
    expect(cancelled.body.data).toEqual({ orderId: placed.id, reason: expect.stringMatching(/timeout/) });

    // Through the delay queue named for the duration, whose TTL is the timeout.
    const delayQueue = (await queueDeclarations(world.name)).get('orders.payment-timeout.after.1s');
    expect(delayQueue?.arguments).toMatch(/x-message-ttl.*1000/);

    const order = await orderReaches(platform.url, placed.id, ['CANCELLED'], 30_000);
    expect(order).toMatchObject({ status: 'CANCELLED', payment: null, reason: expect.stringMatching(/timeout/) });

    // Stock back to its level, the reservation RELEASED, and it stays so: released once.
    const available = async () => (await http(platform.url, 'GET', `/stock/${sku}`)).body.available as number;
    const reservation = async () =>
      (await world.query<{ state: string }>('SELECT state FROM stock_reservations WHERE order_id = $1', [placed.id]))[0]?.state;
    await waitFor(async () => (await available()) === 10 && (await reservation()) === 'RELEASED', {
      what: 'the stock to be released',
      timeoutMs: 30_000,
    });
    await holdsFor(
      async () => {
        const [now, state] = [await available(), await reservation()];
        return (now === 10 && state === 'RELEASED') || `available ${now}, reservation ${state}`;
      },
      QUIET_WINDOW_MS,
      'the stock released once',
    );
    expect(await world.query(`SELECT handler FROM processed_messages WHERE message_id = $1 ORDER BY handler`, [cancelled.body.id])).toEqual(
      expect.arrayContaining([{ handler: 'stock.release' }]),
    );

    // The merchant is told, once, that the order was cancelled.
    const notification = await waitFor(() => merchant.forOrder(placed.id)[0], { what: 'the merchant to be notified', timeoutMs: 30_000 });
    expect(notification.body).toMatchObject({ orderId: placed.id, type: 'order.cancelled', status: 'CANCELLED', totalAmount: 2100 });
    await waitFor(async () => (await getOrder(placed.id)).notification.state === 'DELIVERED', { what: 'the notification to be delivered' });
    await holdsFor(() => merchant.forOrder(placed.id).length === 1 || `${merchant.forOrder(placed.id).length} notifications`, QUIET_WINDOW_MS, 'one notification');
    expect(wire.matching('order.cancelled', placed.id)).toHaveLength(1);

    // The gateway's late word that it was paid: acknowledged, the order stays CANCELLED, ops get an incident.
    const tradeNo = `LATE-${randomUUID()}`;
    const late = await postCallback(platform.url, { orderId: placed.id, tradeNo, status: 'TRADE_SUCCESS', amount: 2100 });
    expect({ status: late.status, text: late.text }).toEqual({ status: 200, text: 'success' });
    expect(await getOrder(placed.id)).toMatchObject({ status: 'CANCELLED', payment: null });
    expect(
      await world.query('SELECT order_id, trade_no, amount::int AS amount, order_status, source FROM payment_incidents WHERE order_id = $1', [placed.id]),
    ).toEqual([{ order_id: placed.id, trade_no: tradeNo, amount: 2100, order_status: 'CANCELLED', source: 'callback' }]);
    await settled(placed.id);
    expect(wire.matching('order.paid', placed.id)).toHaveLength(0);
    expect(await available()).toBe(10);
    expect(merchant.forOrder(placed.id)).toHaveLength(1);
  }, 90_000);
});

describe('the sandbox gateway (PAYMENT_GATEWAY_URL unset)', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let wire: WireTap;
  let helpers: ReturnType<typeof paymentHelpers>;

  beforeAll(async () => {
    world = await TestWorld.create('payment_sandbox');
    platform = await world.start({ PAYMENT_GATEWAY_TIMEOUT: '300ms', CHECKBACK_AFTER: '500ms' });
    wire = await WireTap.open(world.rabbitmqUrl, ['order.paid']);
    helpers = paymentHelpers({ world, platform: () => platform, wire });
  });
  afterAll(async () => {
    await wire?.close();
    await world?.destroy();
  });

  const sandbox = (method: string, path: string, body?: unknown) => http(platform.url, method, `/sandbox/gateway${path}`, { body });
  /** Scenarios decide whether a real order gets paid: ops only (the admin token). */
  const scenario = (orderId: string, body: unknown) => http(platform.url, 'PUT', `/sandbox/gateway/scenarios/${orderId}`, { body, admin: true });

  it('pays: 200 PAID with the sandbox trade number, which its query API reports too', async () => {
    const { confirmedOrder, pay, getOrder, settled } = helpers;
    const order = await confirmedOrder('https://merchant.example/notify');
    const answer = await pay(order.id);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'PAID', tradeNo: expect.stringMatching(/^SBX/) });
    expect(await getOrder(order.id)).toMatchObject({ status: 'PAID', payment: { status: 'PAID', tradeNo: answer.body.tradeNo } });
    const query = await sandbox('GET', `/charges/${order.id}`);
    expect({ status: query.status, body: query.body }).toEqual({ status: 200, body: { status: 'PAID', tradeNo: answer.body.tradeNo } });
    await settled(order.id);
    expect(wire.matching('order.paid', order.id)).toHaveLength(1);
  });

  it('scenario DECLINE → 402, the order stays CONFIRMED, no PREPARE row', async () => {
    const { confirmedOrder, pay, getOrder, prepareRowsOf } = helpers;
    const order = await confirmedOrder('https://merchant.example/notify');
    const declined = await scenario(order.id, { scenario: 'DECLINE' });
    expect({ status: declined.status, body: declined.body }).toEqual({ status: 200, body: { orderId: order.id, scenario: 'DECLINE' } });
    const answer = await pay(order.id);
    expect(answer.status).toBe(402);
    expect(answer.body).toMatchObject({ status: 'DECLINED' });
    expect(await getOrder(order.id)).toMatchObject({ status: 'CONFIRMED', payment: null });
    expect(await prepareRowsOf(order.id)).toEqual([]);
    expect((await sandbox('GET', `/charges/${order.id}`)).body).toEqual({ status: 'DECLINED' });
    expect((await scenario(order.id, { scenario: 'MAYBE' })).status).toBe(400);
  });

  it('scenario CHARGE_THEN_HANG → 202, then PAID by the check-back', async () => {
    const { confirmedOrder, pay, settled } = helpers;
    const order = await confirmedOrder('https://merchant.example/notify');
    expect((await scenario(order.id, { scenario: 'CHARGE_THEN_HANG' })).status).toBe(200);
    const answer = await pay(order.id);
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 202, body: { status: 'PAYMENT_PENDING' } });
    const paid = await orderReaches(platform.url, order.id, ['PAID'], 30_000);
    expect(paid.payment.tradeNo).toBe((await sandbox('GET', `/charges/${order.id}`)).body.tradeNo);
    await settled(order.id);
    expect(wire.matching('order.paid', order.id)).toHaveLength(1);
  });

  it('speaks the gateway protocol over HTTP: POST /charges → 200 PAID, GET /charges/:orderId, 404 when never charged', async () => {
    const orderId = randomUUID();
    const never = await sandbox('GET', `/charges/${orderId}`);
    expect(never.status).toBe(404);

    const charged = await sandbox('POST', '/charges', { orderId, amount: 4242, currency: 'CNY' });
    expect({ status: charged.status, body: charged.body }).toEqual({ status: 200, body: { status: 'PAID', tradeNo: expect.stringMatching(/^SBX/) } });
    const queried = await sandbox('GET', `/charges/${orderId}`);
    expect({ status: queried.status, body: queried.body }).toEqual({ status: 200, body: { status: 'PAID', tradeNo: charged.body.tradeNo } });
    // Charging the same order again answers the same charge.
    expect((await sandbox('POST', '/charges', { orderId, amount: 4242, currency: 'CNY' })).body).toEqual(charged.body);

    expect((await sandbox('GET', '/charges/not-a-uuid')).status).toBe(400);
    expect((await sandbox('POST', '/charges', { orderId, amount: -1, currency: 'CNY' })).status).toBe(400);
  });

  it('sets a scenario only with the admin token: without it 401, and the order is paid as usual', async () => {
    const { confirmedOrder, pay } = helpers;
    const order = await confirmedOrder('https://merchant.example/notify');
    for (const headers of [{}, { authorization: 'Bearer not-the-admin-token-0123' }] as Record<string, string>[]) {
      const refused = await http(platform.url, 'PUT', `/sandbox/gateway/scenarios/${order.id}`, { body: { scenario: 'DECLINE' }, headers });
      expectError(refused, 401);
    }
    expect(await world.query('SELECT * FROM sandbox_charges WHERE order_id = $1', [order.id])).toEqual([]);
    expect((await pay(order.id)).status).toBe(200);
  });
});

describe('the sandbox gateway in production (NODE_ENV=production)', () => {
  let world: TestWorld;
  let gateway: FakeGateway;

  beforeAll(async () => {
    world = await TestWorld.create('payment_sandbox_production');
    gateway = await FakeGateway.start();
  });
  afterAll(async () => {
    await world?.destroy();
    await gateway?.stop();
  });

  /** Up and consuming before the test stops it again: a platform closed mid-start leaves its channels' replies pending. */
  async function start(overrides: Record<string, string>): Promise<RunningApp> {
    const platform = await world.start(overrides);
    await consumersReady(world.name, ['stock.reserve', 'stock.release', 'orders.stock-result', 'notify.merchant']);
    return platform;
  }

  const routes = (orderId: string) =>
    [
      ['PUT', `/sandbox/gateway/scenarios/${orderId}`, { scenario: 'DECLINE' }],
      ['POST', '/sandbox/gateway/charges', { orderId, amount: 1, currency: 'CNY' }],
      ['GET', `/sandbox/gateway/charges/${orderId}`, undefined],
    ] as const;

  it('is not served, even to ops, unless PAYMENT_SANDBOX=true', async () => {
    const platform = await start({ NODE_ENV: 'production', PAYMENT_GATEWAY_URL: gateway.url });
    try {
      const orderId = randomUUID();
      for (const [method, path, body] of routes(orderId)) expectError(await http(platform.url, method, path, { body, admin: true }), 404);
      expect(await world.query('SELECT * FROM sandbox_charges')).toEqual([]);
    } finally {
      await platform.close();
    }
  });

  it('is served with PAYMENT_SANDBOX=true, scenarios still for ops only', async () => {
    const platform = await start({ NODE_ENV: 'production', PAYMENT_SANDBOX: 'true' });
    try {
      const orderId = randomUUID();
      expectError(await http(platform.url, 'PUT', `/sandbox/gateway/scenarios/${orderId}`, { body: { scenario: 'DECLINE' } }), 401);
      const set = await http(platform.url, 'PUT', `/sandbox/gateway/scenarios/${orderId}`, { body: { scenario: 'DECLINE' }, admin: true });
      expect({ status: set.status, body: set.body }).toEqual({ status: 200, body: { orderId, scenario: 'DECLINE' } });
      expect(await world.query('SELECT order_id, scenario FROM sandbox_charges')).toEqual([{ order_id: orderId, scenario: 'DECLINE' }]);
    } finally {
      await platform.close();
    }
  });
});
