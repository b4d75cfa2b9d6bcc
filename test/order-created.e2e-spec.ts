import { randomUUID } from 'node:crypto';
import { WireTap } from './support/contract-wire';
import { orderOnlyInDatabase, orderReaches, placeOrder, setStock } from './support/orders';
import { consumersReady, EventObserver } from './support/reliability-broker';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** `order.created` names its order `orderId`, as every other event does, and still `id`. */
describe('order.created', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let wire: WireTap;

  beforeAll(async () => {
    world = await TestWorld.create('order_created');
    platform = await world.start();
    await consumersReady(world.name, ['stock.reserve']);
    wire = await WireTap.open(world.rabbitmqUrl, ['order.created']);
  });
  afterAll(async () => {
    await wire.close();
    await world.destroy();
  });

  it('carries the order id as orderId and, for consumers written before it, as id', async () => {
    await setStock(platform.url, 'CREATED-A', 5, 300);
    const order = await placeOrder(platform.url, [{ sku: 'CREATED-A', quantity: 2 }]);
    // WireTap.matching reads data.orderId, as for any other event.
    const [created] = await waitFor(() => (wire.matching('order.created', order.id).length > 0 ? wire.matching('order.created', order.id) : undefined), {
      what: 'the order.created of the order on the broker',
    });
    expect(created.body.data).toMatchObject({ id: order.id, orderId: order.id, status: 'PENDING', totalAmount: 600 });
  });

  it('is still read when written before it carried orderId (an outbox row or a failure record of an older version)', async () => {
    await setStock(platform.url, 'CREATED-B', 5, 100);
    // An order as only the database knows it, its order.created never published: published here, in the old shape.
    const orderId = await orderOnlyInDatabase(world, { sku: 'CREATED-B' });
    const before = {
      id: randomUUID(),
      type: 'order.created',
      occurredAt: new Date().toISOString(),
      data: {
        id: orderId,
        merchantId: 'm-1',
        status: 'PENDING',
        items: [{ sku: 'CREATED-B', quantity: 1, unitPrice: 100 }],
        totalAmount: 100,
        currency: 'CNY',
        notifyUrl: 'https://merchant.example/notify',
        createdAt: new Date().toISOString(),
      },
    };
    const broker = await EventObserver.bind(world.rabbitmqUrl, 'test.order-created.unused', []);
    try {
      await broker.publish('order.created', Buffer.from(JSON.stringify(before)), { messageId: before.id, contentType: 'application/json', persistent: true });
    } finally {
      await broker.close();
    }
    expect((await orderReaches(platform.url, orderId, ['CONFIRMED', 'REJECTED'])).status).toBe('CONFIRMED');
    expect(await world.query(`SELECT handler FROM failed_messages WHERE message_id = $1`, [before.id])).toEqual([]);
  });
});
