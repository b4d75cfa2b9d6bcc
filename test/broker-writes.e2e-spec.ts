import { writeFramesPerTurn } from '@backstop/transport';
import { AmqpConnectionManager, connect } from 'amqp-connection-manager';
import type { ConfirmChannel } from 'amqplib';
import { Socket } from 'node:net';
import { TestWorld } from './support/test-world';

const MESSAGES = 20;

/** The socket amqplib writes to, under its ChannelModel and protocol connection. */
function socketOf(manager: AmqpConnectionManager): Socket {
  return (manager.connection as unknown as { connection: { stream: Socket } }).connection.stream;
}

/** A count of the writes that reach the socket from now on. */
function countWrites(manager: AmqpConnectionManager): { writes: number } {
  const socket = socketOf(manager);
  const counted = { writes: 0 };
  const write = socket._write.bind(socket);
  const writev = socket._writev!.bind(socket);
  socket._write = (...args) => {
    counted.writes += 1;
    write(...args);
  };
  socket._writev = (...args) => {
    counted.writes += 1;
    writev(...args);
  };
  return counted;
}

/** Publishes MESSAGES messages in one turn and waits for their confirms; answers the socket writes they took. */
async function publishInOneTurn(manager: AmqpConnectionManager, queue: string): Promise<number> {
  const wrapper = manager.createChannel({ setup: (channel: ConfirmChannel) => channel.assertQueue(queue, { durable: false }) });
  await wrapper.waitForConnect();
  const counted = countWrites(manager);
  await Promise.all(Array.from({ length: MESSAGES }, (_, index) => wrapper.publish('', queue, Buffer.from(`{"n":${index}}`))));
  const { messageCount } = await wrapper.checkQueue(queue);
  expect(messageCount).toBe(MESSAGES);
  await wrapper.close();
  return counted.writes;
}

/** A turn's frames leave in one write, where amqplib alone writes each on its own. */
describe('writes to the broker', () => {
  let world: TestWorld;
  const managers: AmqpConnectionManager[] = [];

  beforeAll(async () => {
    world = await TestWorld.create('broker_writes');
  });
  afterAll(async () => {
    await Promise.all(managers.map((manager) => manager.close()));
    await world.destroy();
  });

  async function connected(corked: boolean): Promise<AmqpConnectionManager> {
    const manager = connect([world.rabbitmqUrl], { reconnectTimeInSeconds: 0.1, connectionOptions: { noDelay: true } });
    managers.push(manager);
    if (corked) writeFramesPerTurn(manager);
    await manager.connect();
    return manager;
  }

  it('sends the publishes a turn makes in one write, and each of them is stored', async () => {
    const plain = await publishInOneTurn(await connected(false), 'writes.plain');
    const corked = await publishInOneTurn(await connected(true), 'writes.corked');
    // amqplib alone: one write per publish. Corked: the publishes in one, and a few more
    // for the channel's own frames (its confirm mode, the queue check, its close).
    expect(plain).toBeGreaterThanOrEqual(MESSAGES);
    expect(corked).toBeLessThanOrEqual(5);
  });

  it('corks the socket of a connection made again after it was lost', async () => {
    const manager = await connected(true);
    const first = socketOf(manager);
    const again = new Promise<void>((resolve) => manager.once('connect', () => resolve()));
    // With an error, as a reset connection ends: amqplib then reconnects at once.
    first.destroy(new Error('connection reset'));
    await again;
    expect(await publishInOneTurn(manager, 'writes.reconnected')).toBeLessThanOrEqual(5);
  });
});
