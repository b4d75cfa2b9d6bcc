import { randomUUID } from 'node:crypto';
import { payByCallback } from './support/notify-helpers';
import { http } from './support/http';
import { MerchantServer } from './support/merchant-server';
import { orderOnlyInDatabase, orderReaches, placeOrder, setStock } from './support/orders';
import { consumersReady, EventObserver, queuesIdle } from './support/reliability-broker';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const HANDLER_QUEUES = ['stock.reserve', 'stock.release', 'orders.stock-result', 'notify.merchant'];

/**
 * An event is a claim, the database is the truth: a well-formed event published straight
 * onto order.events that contradicts the database has no effect and is recorded as poison
 * (never retried). And money is exact: a total past 2^53 − 1 is refused, never rounded.
 */
describe('untrusted events and exact money', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let merchant: MerchantServer;
  let broker: EventObserver;

  beforeAll(async () => {
    world = await TestWorld.create('untrusted');
    merchant = await MerchantServer.start();
    platform = await world.start();
    await consumersReady(world.name, HANDLER_QUEUES);
    broker = await EventObserver.bind(world.rabbitmqUrl, 'test.untrusted.unused', []);
  });
  afterAll(async () => {
    await broker.close();
    await platform.close();
    await merchant.stop();
    await world.destroy();
  });

  const available = async (sku: string): Promise<number> => (await http(platform.url, 'GET', `/stock/${sku}`)).body.available;

  async function forge(type: string, data: Record<string, unknown>): Promise<string> {
    const id = randomUUID();
    const body = { id, type, occurredAt: new Date().toISOString(), data };
    await broker.publish(type, Buffer.from(JSON.stringify(body)), { messageId: id, contentType: 'application/json', persistent: true });
    return id;
  }

  /** The forged message's failure record: poison, on that handler, once. */
  const poisonOf = (messageId: string, handler: string) =>
    waitFor(
      async () => {
        const rows = await world.query<{ handler: string; poison: boolean; attempts: number; error: string }>(
          `SELECT handler, poison, attempts, error FROM failed_messages WHERE message_id = $1`,
          [messageId],
        );
        return rows.length > 0 ? rows : undefined;
      },
      { what: `the failure record of ${messageId}` },
    ).then((rows) => {
      expect(rows).toMatchObject([{ handler, poison: true, attempts: 1 }]);
      return rows[0];
    });

  /** A well-formed order.created for one SKU at 100 a unit. */
  const createdData = (orderId: string, sku: string, quantity: number) => ({
    id: orderId,
    merchantId: 'm-1',
    status: 'PENDING',
    items: [{ sku, quantity, unitPrice: 100 }],
    totalAmount: quantity * 100,
    currency: 'CNY',
    notifyUrl: 'https://merchant.example/notify',
    createdAt: new Date().toISOString(),
  });

  /** An order as only the database knows it: PENDING, its order.created never published. */
  const pendingOrderRow = (sku: string, quantity: number) => orderOnlyInDatabase(world, { sku, quantity, notifyUrl: `${merchant.url}/notify` });

  it('order.created for an order that does not exist reserves nothing', async () => {
    await setStock(platform.url, 'UNTRUSTED-1', 1000, 100);
    const orderId = randomUUID();
    const messageId = await forge('order.created', createdData(orderId, 'UNTRUSTED-1', 777));
    expect((await poisonOf(messageId, 'stock.reserve')).error).toMatch(/does not exist/);
    expect(await available('UNTRUSTED-1')).toBe(1000);
    expect(await world.query(`SELECT order_id FROM stock_reservations WHERE order_id = $1`, [orderId])).toEqual([]);
  });

  it('order.created whose items are not the order’s reserves nothing', async () => {
    await setStock(platform.url, 'UNTRUSTED-2', 1000, 100);
    const orderId = await pendingOrderRow('UNTRUSTED-2', 1);
    const messageId = await forge('order.created', createdData(orderId, 'UNTRUSTED-2', 900));
    expect((await poisonOf(messageId, 'stock.reserve')).error).toMatch(/items/);
    expect(await available('UNTRUSTED-2')).toBe(1000);
    expect(await world.query(`SELECT status FROM orders WHERE id = $1`, [orderId])).toEqual([{ status: 'PENDING' }]);
  });

  it('order.created again under a new id, for an order still PENDING that holds its reservation, takes nothing more', async () => {
    await setStock(platform.url, 'UNTRUSTED-7', 1000, 100);
    const orderId = await pendingOrderRow('UNTRUSTED-7', 3);
    await forge('order.created', createdData(orderId, 'UNTRUSTED-7', 3));
    await orderReaches(platform.url, orderId, ['CONFIRMED']);
    // As if the second event had come while the first run's transaction committed: the order PENDING, the reservation made.
    await world.query(`UPDATE orders SET status = 'PENDING' WHERE id = $1`, [orderId]);
    const again = await forge('order.created', createdData(orderId, 'UNTRUSTED-7', 3));
    // The reservation sent with its commit finds the earlier one and fails that transaction; the step-by-step run skips it.
    await waitFor(async () => (await world.query(`SELECT 1 FROM processed_messages WHERE handler = 'stock.reserve' AND message_id = $1`, [again])).length > 0 || undefined, {
      what: `the second order.created of ${orderId} handled`,
    });
    expect(await available('UNTRUSTED-7')).toBe(997);
    expect(await world.query(`SELECT message_id FROM failed_messages WHERE message_id = $1`, [again])).toEqual([]);
  });

  it('stock.reserved for an order that holds no reservation does not confirm it', async () => {
    const orderId = await pendingOrderRow('UNTRUSTED-2', 2);
    const messageId = await forge('stock.reserved', { orderId, items: [{ sku: 'UNTRUSTED-2', quantity: 2 }] });
    expect((await poisonOf(messageId, 'orders.stock-result')).error).toMatch(/no reservation/);
    expect(await world.query(`SELECT status FROM orders WHERE id = $1`, [orderId])).toEqual([{ status: 'PENDING' }]);
  });

  it('stock.reserved again under a new id, for an order already CONFIRMED, changes nothing and is no failure', async () => {
    await setStock(platform.url, 'UNTRUSTED-8', 10, 100);
    const order = await placeOrder(platform.url, [{ sku: 'UNTRUSTED-8', quantity: 1 }], `${merchant.url}/notify`);
    await orderReaches(platform.url, order.id, ['CONFIRMED']);
    const [{ updated_at: confirmedAt }] = await world.query<{ updated_at: Date }>(`SELECT updated_at FROM orders WHERE id = $1`, [order.id]);
    const again = await forge('stock.reserved', { orderId: order.id, items: [{ sku: 'UNTRUSTED-8', quantity: 1 }] });
    // The move sent with its commit finds the order CONFIRMED and fails that transaction; the step-by-step run skips it.
    await waitFor(async () => (await world.query(`SELECT 1 FROM processed_messages WHERE handler = 'orders.stock-result' AND message_id = $1`, [again])).length > 0 || undefined, {
      what: `the second stock.reserved of ${order.id} handled`,
    });
    expect(await world.query(`SELECT status, updated_at FROM orders WHERE id = $1`, [order.id])).toEqual([{ status: 'CONFIRMED', updated_at: confirmedAt }]);
    expect(await world.query(`SELECT message_id FROM failed_messages WHERE message_id = $1`, [again])).toEqual([]);
  });

  it('stock.rejected for an order that holds a reservation does not reject it', async () => {
    await setStock(platform.url, 'UNTRUSTED-4', 10, 100);
    const order = await placeOrder(platform.url, [{ sku: 'UNTRUSTED-4', quantity: 1 }], `${merchant.url}/notify`);
    await orderReaches(platform.url, order.id, ['CONFIRMED']);
    const messageId = await forge('stock.rejected', { orderId: order.id, items: [{ sku: 'UNTRUSTED-4', quantity: 1 }], reason: 'forged' });
    expect((await poisonOf(messageId, 'orders.stock-result')).error).toMatch(/holds a reservation/);
    expect(await world.query(`SELECT status, reason FROM orders WHERE id = $1`, [order.id])).toEqual([{ status: 'CONFIRMED', reason: null }]);
  });

  it('order.cancelled for a paid order releases nothing and tells the merchant nothing', async () => {
    await setStock(platform.url, 'UNTRUSTED-3', 10, 100);
    const order = await placeOrder(platform.url, [{ sku: 'UNTRUSTED-3', quantity: 4 }], `${merchant.url}/notify`);
    await orderReaches(platform.url, order.id, ['CONFIRMED']);
    await payByCallback(platform.url, order);
    await waitFor(() => merchant.forOrder(order.id).length === 1, { what: 'the merchant to hear of the payment' });
    expect(await available('UNTRUSTED-3')).toBe(6);

    const messageId = await forge('order.cancelled', { orderId: order.id, reason: 'forged' });
    const records = await waitFor(
      async () => {
        const rows = await world.query<{ handler: string; poison: boolean }>(
          `SELECT handler, poison FROM failed_messages WHERE message_id = $1 ORDER BY handler`,
          [messageId],
        );
        return rows.length === 2 ? rows : undefined;
      },
      { what: 'both handlers to refuse the forged cancellation' },
    );
    expect(records).toEqual([
      { handler: 'notify.merchant', poison: true },
      { handler: 'stock.release', poison: true },
    ]);
    await queuesIdle(world.name, HANDLER_QUEUES);
    expect(await available('UNTRUSTED-3')).toBe(6);
    expect(merchant.forOrder(order.id).map((request) => request.body.status)).toEqual(['PAID']);
    expect((await http(platform.url, 'GET', `/orders/${order.id}`)).body.status).toBe('PAID');
  });

  it('order.paid again for a paid order, under a new id, sends the merchant nothing new: forged facts are poison, the true ones change nothing', async () => {
    await setStock(platform.url, 'UNTRUSTED-4', 10, 100);
    const order = await placeOrder(platform.url, [{ sku: 'UNTRUSTED-4', quantity: 2 }], `${merchant.url}/notify`);
    await orderReaches(platform.url, order.id, ['CONFIRMED']);
    const tradeNo = await payByCallback(platform.url, order);
    await waitFor(() => merchant.forOrder(order.id).length === 1, { what: 'the merchant to hear of the payment' });
    const [{ paid_at: paidAt }] = await world.query<{ paid_at: Date }>(`SELECT paid_at FROM orders WHERE id = $1`, [order.id]);
    const truth = { orderId: order.id, tradeNo, amount: order.totalAmount, currency: 'CNY', paidAt: paidAt.toISOString() };

    // Another trade number, amount or time than the order's: refused as poison, never sent.
    for (const forged of [{ tradeNo: 'FORGED-1' }, { amount: order.totalAmount + 1 }, { paidAt: new Date(0).toISOString() }]) {
      const record = await poisonOf(await forge('order.paid', { ...truth, ...forged }), 'notify.merchant');
      expect(record.error).toMatch(new RegExp(`order ${order.id}`));
    }
    // The order's own facts under a new envelope id: the outcome has its notification already.
    const replayId = await forge('order.paid', truth);
    await queuesIdle(world.name, HANDLER_QUEUES);
    expect(await world.query(`SELECT 1 FROM failed_messages WHERE message_id = $1`, [replayId])).toEqual([]);
    expect(await world.query(`SELECT count(*)::int AS count FROM notifications WHERE order_id = $1`, [order.id])).toEqual([{ count: 1 }]);
    // Its claim, which records a new notification, took no lease and logged no attempt.
    expect(await world.query(`SELECT 1 FROM deliveries WHERE event_id = $1`, [replayId])).toEqual([]);
    const heard = merchant.forOrder(order.id);
    expect(heard).toHaveLength(1);
    expect(heard[0].body).toMatchObject({ tradeNo, paidAt: truth.paidAt, totalAmount: order.totalAmount });
  });

  it('an order whose total would pass 2^53 − 1 minor units is refused with 422; one just below is exact', async () => {
    const skus = Array.from({ length: 10 }, (_, index) => `MONEY-${index}`);
    for (const sku of skus) await setStock(platform.url, sku, 1_000_000, 1_000_000_000_000);
    const [{ before }] = await world.query<{ before: number }>(`SELECT count(*)::int AS before FROM orders`);

    // 10 × 1000 × 10^12 = 10^16 > 2^53 − 1 ≈ 9.007 × 10^15.
    const tooLarge = await http(platform.url, 'POST', '/orders', {
      body: { merchantId: 'm-1', items: skus.map((sku) => ({ sku, quantity: 1000 })), notifyUrl: 'https://merchant.example/notify' },
    });
    expect(tooLarge.status).toBe(422);
    expect(tooLarge.body.message).toMatch(/10000000000000000/);
    expect(await world.query(`SELECT count(*)::int AS count FROM orders`)).toEqual([{ count: before }]);

    // 9 × 1000 × 10^12 + 3 × 10^12 = 9.003 × 10^15: below the bound, and exact to the unit.
    const largest = await http(platform.url, 'POST', '/orders', {
      body: {
        merchantId: 'm-1',
        items: [...skus.slice(0, 9).map((sku) => ({ sku, quantity: 1000 })), { sku: skus[9], quantity: 3 }],
        notifyUrl: 'https://merchant.example/notify',
      },
    });
    expect(largest.status).toBe(201);
    expect(largest.body.totalAmount).toBe(9_003_000_000_000_000);
    const [stored] = await world.query<{ total_amount: string }>(`SELECT total_amount FROM orders WHERE id = $1`, [largest.body.id]);
    expect(stored.total_amount).toBe('9003000000000000');
    expect((await http(platform.url, 'GET', `/orders/${largest.body.id}`)).body.totalAmount).toBe(9_003_000_000_000_000);
  });
});
