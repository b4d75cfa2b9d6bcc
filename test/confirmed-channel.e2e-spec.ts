import { ConfirmedChannel } from '@backstop/transport';
import { connect } from 'amqp-connection-manager';
import { TestWorld } from './support/test-world';

/** Resolved means stored in a queue: a confirm alone is not enough when nothing was routed. */
describe('a confirmed channel', () => {
  let world: TestWorld;
  let connection: ReturnType<typeof connect>;

  beforeAll(async () => {
    world = await TestWorld.create('confirmed_channel');
    connection = connect([world.rabbitmqUrl]);
  });
  afterAll(async () => {
    await connection.close();
    await world.destroy();
  });

  it('resolves once a queue holds the message, and rejects what the broker returned', async () => {
    const channel = new ConfirmedChannel(connection, 'test', async (raw) => {
      await raw.assertQueue('confirmed.target', { durable: false });
    });
    await channel.publish('', 'confirmed.target', Buffer.from('{}'), { messageId: 'm-1' });
    await expect(channel.publish('', 'confirmed.nowhere', Buffer.from('{}'), { messageId: 'm-2' })).rejects.toThrow(/no queue took confirmed.nowhere/);
    // Copies sharing a messageId are told apart by where they went.
    const [stored, lost] = await Promise.allSettled([
      channel.publish('', 'confirmed.target', Buffer.from('{}'), { messageId: 'm-3' }),
      channel.publish('', 'confirmed.nowhere', Buffer.from('{}'), { messageId: 'm-3' }),
    ]);
    expect(stored.status).toBe('fulfilled');
    expect(lost.status).toBe('rejected');
  });
});
