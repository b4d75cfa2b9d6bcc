import * as amqp from 'amqplib';
import { rabbitmqctl } from './rabbitmqctl';
import { waitFor } from './wait-for';

/** Broker disruptions scoped to one test's vhost: never the whole broker, never other vhosts. */

export interface QueueState {
  messages: number;
  unacked: number;
  consumers: number;
}

export async function queueStates(vhost: string): Promise<Map<string, QueueState>> {
  const out = await rabbitmqctl(
    'list_queues',
    '-p',
    vhost,
    'name',
    'messages',
    'messages_unacknowledged',
    'consumers',
    '--no-table-headers',
  );
  const states = new Map<string, QueueState>();
  for (const line of out.trim().split('\n').filter(Boolean)) {
    const [name, messages, unacked, consumers] = line.trim().split(/\s+/);
    states.set(name, { messages: Number(messages), unacked: Number(unacked), consumers: Number(consumers) });
  }
  return states;
}

/** Waits until each named queue has a consumer (the platform subscribed its handlers). */
export function consumersReady(vhost: string, queues: string[], timeoutMs = 60_000): Promise<true> {
  return waitFor(
    async () => {
      const states = await queueStates(vhost);
      return queues.every((queue) => (states.get(queue)?.consumers ?? 0) > 0);
    },
    { what: `consumers on ${queues.join(', ')} in ${vhost}`, timeoutMs, intervalMs: 250 },
  );
}

/** Waits until the named queues hold nothing, ready or unacknowledged. */
export function queuesIdle(vhost: string, queues: string[], timeoutMs = 60_000): Promise<true> {
  return waitFor(
    async () => {
      const states = await queueStates(vhost);
      return queues.every((queue) => {
        const state = states.get(queue);
        return state !== undefined && state.messages === 0 && state.unacked === 0;
      });
    },
    { what: `${queues.join(', ')} in ${vhost} to be empty with nothing unacked`, timeoutMs, intervalMs: 250 },
  );
}

export async function connectionCount(vhost: string): Promise<number> {
  const out = await rabbitmqctl('list_connections', 'vhost', '--no-table-headers');
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line === vhost).length;
}

/** Closes every connection of this vhost (other vhosts, i.e. other test files, are untouched). */
export async function closeVhostConnections(vhost: string, why = 'reliability test'): Promise<void> {
  await rabbitmqctl('close_all_connections', '--vhost', vhost, why);
}

/** Makes the vhost unreachable: no new connection is admitted and the open ones are closed. */
export async function blockVhost(vhost: string): Promise<void> {
  await rabbitmqctl('set_vhost_limits', '-p', vhost, '{"max-connections": 0}');
  await waitFor(
    async () => {
      await closeVhostConnections(vhost, 'vhost blocked by reliability test');
      return (await connectionCount(vhost)) === 0;
    },
    { what: `every connection of ${vhost} to be gone`, timeoutMs: 30_000, intervalMs: 250 },
  );
}

/** Admits connections again (-1 = no limit; clear_vhost_limits fails when no limit was set). */
export async function unblockVhost(vhost: string): Promise<void> {
  await rabbitmqctl('set_vhost_limits', '-p', vhost, '{"max-connections": -1}');
}

/**
 * A consumer of our own, as an internal service would be: a durable queue bound to
 * `order.events`, read with basic.get so the test decides when. It survives its
 * connection being closed (the queue keeps collecting); `reopen` reconnects.
 */
export class EventObserver {
  private connection?: amqp.ChannelModel;
  private channel?: amqp.ConfirmChannel;
  readonly received: amqp.GetMessage[] = [];

  private constructor(
    private readonly url: string,
    readonly queue: string,
  ) {}

  static async bind(url: string, queue: string, routingKeys: string[]): Promise<EventObserver> {
    const observer = new EventObserver(url, queue);
    await observer.reopen();
    await observer.channel!.assertExchange('order.events', 'topic', { durable: true });
    await observer.channel!.assertQueue(queue, { durable: true });
    for (const key of routingKeys) await observer.channel!.bindQueue(queue, 'order.events', key);
    return observer;
  }

  async reopen(): Promise<void> {
    await this.close();
    const connection = await amqp.connect(this.url);
    // A broker-side close (the test's own disruption) must not crash the test process.
    connection.on('error', () => undefined);
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    connection.on('close', () => {
      if (this.connection === connection) this.connection = this.channel = undefined;
    });
    this.connection = connection;
    this.channel = channel;
  }

  /** Moves everything now in the queue into `received` (acknowledged). */
  async drain(): Promise<amqp.GetMessage[]> {
    if (!this.channel) await this.reopen();
    const taken: amqp.GetMessage[] = [];
    for (;;) {
      const message = await this.channel!.get(this.queue, { noAck: true });
      if (message === false) break;
      taken.push(message);
    }
    this.received.push(...taken);
    return taken;
  }

  /** Publishes to `order.events` and waits for the broker's confirm (so it is enqueued). */
  async publish(routingKey: string, content: Buffer, options: amqp.Options.Publish): Promise<void> {
    if (!this.channel) await this.reopen();
    this.channel!.publish('order.events', routingKey, content, { ...options, mandatory: true });
    await this.channel!.waitForConfirms();
  }

  bodies(): { id: string; type: string; data: Record<string, any> }[] {
    return this.received.map((message) => JSON.parse(message.content.toString()));
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = this.channel = undefined;
    await connection?.close().catch(() => undefined);
  }
}
