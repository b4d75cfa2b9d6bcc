import { connect } from 'amqplib';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { TestWorld } from './support/test-world';

/**
 * `mandatory` only proves that some queue took a message. An outside queue bound to
 * order.events before backstop ever ran must not swallow an early event: the outbox
 * publishes only once this process has declared its own handlers' queues.
 */
describe('an outside consumer bound first', () => {
  let world: TestWorld;

  beforeAll(async () => {
    world = await TestWorld.create('outside_consumer');
  });
  afterAll(() => world.destroy());

  it('does not take an event away from our handlers', async () => {
    const connection = await connect(world.rabbitmqUrl);
    try {
      const channel = await connection.createChannel();
      await channel.assertExchange('order.events', 'topic', { durable: true });
      await channel.assertQueue('analytics.everything', { durable: false });
      await channel.bindQueue('analytics.everything', 'order.events', '#');

      const platform = await world.start();
      await setStock(platform.url, 'OUTSIDE-A', 5);
      const order = await placeOrder(platform.url, [{ sku: 'OUTSIDE-A', quantity: 1 }]);
      await orderReaches(platform.url, order.id, ['CONFIRMED']);
      expect((await channel.checkQueue('analytics.everything')).messageCount).toBeGreaterThanOrEqual(2);
    } finally {
      await connection.close();
    }
  });
});
