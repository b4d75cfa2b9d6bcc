import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { everyStatement } from '../src/database/sql';
import { consumersReady, EventObserver } from './support/reliability-broker';
import { http } from './support/http';
import { payByCallback } from './support/notify-helpers';
import { orderOnlyInDatabase, orderReaches, placeOrder, setStock } from './support/orders';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** The start of a simple query's `EXECUTE` of the statement named `name` (Bound.execute), as a pattern. */
function runOf(name: string): string {
  const statement = everyStatement().find((each) => each.name === name);
  if (!statement) throw new Error(`no statement is named ${name}`);
  return `EXECUTE ${statement.sqlName}\\(`;
}

describe('order → stock → order', () => {
  let world: TestWorld;
  let platform: RunningApp;

  beforeAll(async () => {
    world = await TestWorld.create('order_flow');
    platform = await world.start();
  });
  afterAll(() => world.destroy());

  it('confirms an order and takes its stock', async () => {
    await setStock(platform.url, 'FLOW-A', 10, 250);
    await setStock(platform.url, 'FLOW-B', 5, 1000);
    const order = await placeOrder(platform.url, [
      { sku: 'FLOW-A', quantity: 3 },
      { sku: 'FLOW-B', quantity: 2 },
    ]);
    expect(order).toMatchObject({ status: 'PENDING', totalAmount: 3 * 250 + 2 * 1000, currency: 'CNY' });
    // Time-ordered ids (UUIDv7): a later order's id sorts after, so its rows land at the right-hand edge of the indexes keyed by it.
    const later = await placeOrder(platform.url, [{ sku: 'FLOW-A', quantity: 1 }]);
    expect([order.id, later.id].map((id) => id.slice(14, 15))).toEqual(['7', '7']);
    expect(later.id > order.id).toBe(true);
    await orderReaches(platform.url, later.id, ['CONFIRMED']);

    const confirmed = await orderReaches(platform.url, order.id, ['CONFIRMED', 'REJECTED']);
    expect(confirmed.status).toBe('CONFIRMED');
    expect((await http(platform.url, 'GET', '/stock/FLOW-A')).body).toEqual({ sku: 'FLOW-A', available: 6, unitPrice: 250 });
    expect((await http(platform.url, 'GET', '/stock/FLOW-B')).body.available).toBe(3);
  });

  it('rejects an order there is not enough stock for, and takes nothing', async () => {
    await setStock(platform.url, 'FLOW-C', 10);
    await setStock(platform.url, 'FLOW-D', 1);
    const order = await placeOrder(platform.url, [
      { sku: 'FLOW-C', quantity: 4 },
      { sku: 'FLOW-D', quantity: 2 },
    ]);
    const rejected = await orderReaches(platform.url, order.id, ['CONFIRMED', 'REJECTED']);
    expect(rejected.status).toBe('REJECTED');
    expect(rejected.reason).toMatch(/FLOW-D/);
    expect((await http(platform.url, 'GET', '/stock/FLOW-C')).body.available).toBe(10);
    expect((await http(platform.url, 'GET', '/stock/FLOW-D')).body.available).toBe(1);
  });

  it('never oversells: 50 concurrent orders for 20 in stock confirm exactly 20', async () => {
    await setStock(platform.url, 'FLOW-HOT', 20);
    const orders = await Promise.all(
      Array.from({ length: 50 }, () => placeOrder(platform.url, [{ sku: 'FLOW-HOT', quantity: 1 }])),
    );
    const settled = await Promise.all(orders.map((order) => orderReaches(platform.url, order.id, ['CONFIRMED', 'REJECTED'], 30_000)));
    expect(settled.filter((order) => order.status === 'CONFIRMED')).toHaveLength(20);
    expect(settled.filter((order) => order.status === 'REJECTED')).toHaveLength(30);
    expect((await http(platform.url, 'GET', '/stock/FLOW-HOT')).body.available).toBe(0);
  });

  it("locks a SKU's row only within the commit's round trip: the reservation is sent with the COMMIT", async () => {
    await setStock(platform.url, 'FLOW-LOCKED', 5);
    const holder = new Client({ connectionString: world.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      // As an UPDATE of the row would lock it: orders may still be placed for the SKU (their items' key check is not held up).
      await holder.query(`SELECT available FROM stock WHERE sku = 'FLOW-LOCKED' FOR NO KEY UPDATE`);
      const order = await placeOrder(platform.url, [{ sku: 'FLOW-LOCKED', quantity: 2 }]);
      // The handler's transaction waits for the row in a statement run with its values written in: the
      // simple query that ends with COMMIT (the one that opens a transaction starts with BEGIN), not a
      // statement of its own with a round trip still to come. pg_stat_activity shows the first 1 KB of it.
      const waiting = await waitFor(
        async () =>
          // Not on the holder's connection: a transaction sees pg_stat_activity as it first read it.
          (
            await world.query<{ query: string }>(
              `SELECT query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FLOW-LOCKED%'`,
            )
          )[0]?.query,
        { what: 'the reservation waiting for the locked row' },
      );
      expect(waiting).toMatch(new RegExp(`^${runOf('stock reserve or fail')}'${order.id}', '\\[\\{"sku":"FLOW-LOCKED","quantity":2\\}\\]'\\); ${runOf('outbox insert READY')}`));
      await holder.query('COMMIT');
      expect((await orderReaches(platform.url, order.id, ['CONFIRMED', 'REJECTED'])).status).toBe('CONFIRMED');
      expect((await http(platform.url, 'GET', '/stock/FLOW-LOCKED')).body.available).toBe(3);
    } finally {
      await holder.end();
    }
  });

  it("sends a handler's reads with its BEGIN: stock.reserve reads the order's items in the round trip that marks its message", async () => {
    await setStock(platform.url, 'FLOW-AHEAD', 5, 100);
    const orderId = await orderOnlyInDatabase(world, { sku: 'FLOW-AHEAD' });
    const holder = new Client({ connectionString: world.databaseUrl });
    await holder.connect();
    const broker = await EventObserver.bind(world.rabbitmqUrl, 'test.order_flow.unused', []);
    await consumersReady(world.name, ['stock.reserve']);
    try {
      await holder.query('BEGIN');
      // Even a read of the order's items waits now.
      await holder.query('LOCK TABLE order_items IN ACCESS EXCLUSIVE MODE');
      const messageId = randomUUID();
      const data = {
        id: orderId, merchantId: 'm-1', status: 'PENDING', items: [{ sku: 'FLOW-AHEAD', quantity: 1, unitPrice: 100 }],
        totalAmount: 100, currency: 'CNY', notifyUrl: 'https://merchant.example/notify', createdAt: new Date().toISOString(),
      };
      const envelope = { id: messageId, type: 'order.created', occurredAt: new Date().toISOString(), data };
      await broker.publish('order.created', Buffer.from(JSON.stringify(envelope)), { messageId, contentType: 'application/json', persistent: true });
      const waiting = await waitFor(
        async () =>
          (
            await world.query<{ query: string }>(
              `SELECT query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%' || $1 || '%'`,
              [messageId],
            )
          )[0]?.query,
        { what: 'the handler waiting for the locked items' },
      );
      // One simple query: BEGIN, the message's lock and marker, then the read, which is where it waits.
      const marked = `${runOf('compensation lock message')}'stock.reserve', '${messageId}'\\); ${runOf('compensation mark processed')}'stock.reserve', '${messageId}'[^)]*\\)`;
      expect(waiting).toMatch(new RegExp(`^BEGIN; ${marked}; ${runOf('orders items')}'${orderId}'\\)`));
      await holder.query('COMMIT');
      expect((await orderReaches(platform.url, orderId, ['CONFIRMED', 'REJECTED'])).status).toBe('CONFIRMED');
    } finally {
      await holder.end();
      await broker.close();
    }
  });

  /** Holds the order's row while `pay` runs, and answers the statement that waits for it, as pg_stat_activity shows it. */
  async function statementWaitingForOrder(order: { id: string; totalAmount: number }): Promise<string> {
    const holder = new Client({ connectionString: world.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM orders WHERE id = $1 FOR NO KEY UPDATE`, [order.id]);
      const paying = payByCallback(platform.url, order);
      const waiting = await waitFor(
        async () =>
          (
            await world.query<{ query: string }>(
              `SELECT query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%' || $1 || '%'`,
              [order.id],
            )
          )[0]?.query,
        { what: 'the callback waiting for the locked order' },
      );
      await holder.query('COMMIT');
      await paying;
      expect((await orderReaches(platform.url, order.id, ['PAID'])).status).toBe('PAID');
      return waiting;
    } finally {
      await holder.end();
    }
  }

  it('pays an order this process placed in one round trip: the move and its order.paid in one simple query', async () => {
    await setStock(platform.url, 'FLOW-PAID', 5);
    const order = await placeOrder(platform.url, [{ sku: 'FLOW-PAID', quantity: 1 }]);
    await orderReaches(platform.url, order.id, ['CONFIRMED']);
    const waiting = await statementWaitingForOrder(order);
    expect(waiting).toMatch(new RegExp(`^${runOf('orders pay or fail')}'${order.id}'[^;]*; ${runOf('outbox insert READY')}`));
  });

  it("sends a transaction's BEGIN with its first statement: a callback for an order placed elsewhere moves it in the round trip that begins", async () => {
    // Placed by another process: this one knows nothing of it.
    const orderId = await orderOnlyInDatabase(world, { sku: 'FLOW-ELSEWHERE', quantity: 5, status: 'CONFIRMED' });
    const waiting = await statementWaitingForOrder({ id: orderId, totalAmount: 500 });
    expect(waiting).toMatch(new RegExp(`^BEGIN; ${runOf('orders move')}'${orderId}', 'PAID', '\\{"CONFIRMED"\\}'`));
  });
});
