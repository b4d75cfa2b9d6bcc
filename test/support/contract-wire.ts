import { Channel, ChannelModel, connect, ConsumeMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { waitFor } from './wait-for';

const EXCHANGE = 'order.events';

export interface TappedMessage {
  routingKey: string;
  messageId?: string;
  body: { id: string; type: string; occurredAt: string; data: Record<string, any> };
}

/**
 * An exclusive queue of the test's own, bound to `order.events` in the test's vhost:
 * it sees every event the platform publishes with the bound keys, as any internal
 * consumer would.
 */
export class WireTap {
  readonly received: TappedMessage[] = [];
  private readonly markers = new Set<string>();
  private readonly markerKey = `contract.marker.${randomUUID()}`;

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
  ) {}

  static async open(rabbitmqUrl: string, routingKeys: string[]): Promise<WireTap> {
    const connection = await connect(rabbitmqUrl);
    const channel = await connection.createChannel();
    const tap = new WireTap(connection, channel);
    await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    for (const key of [...routingKeys, tap.markerKey]) await channel.bindQueue(queue, EXCHANGE, key);
    await channel.consume(queue, (message: ConsumeMessage | null) => {
      if (!message) return;
      if (message.fields.routingKey === tap.markerKey) {
        tap.markers.add(message.content.toString());
        return;
      }
      tap.received.push({
        routingKey: message.fields.routingKey,
        messageId: message.properties.messageId,
        body: JSON.parse(message.content.toString()),
      });
    }, { noAck: true });
    return tap;
  }

  matching(routingKey: string, orderId: string): TappedMessage[] {
    return this.received.filter((message) => message.routingKey === routingKey && message.body.data?.orderId === orderId);
  }

  /**
   * Resolves once everything the broker had routed to this queue before now has been
   * received: a marker published now is queued behind it, and a queue is FIFO.
   */
  async caughtUp(timeoutMs = 15_000): Promise<void> {
    const marker = randomUUID();
    this.channel.publish(EXCHANGE, this.markerKey, Buffer.from(marker));
    await waitFor(() => this.markers.has(marker), { what: 'the wire tap to catch up', timeoutMs });
  }

  async close(): Promise<void> {
    await this.channel.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}
