import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, Message, MessageProperties, Options } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { ChannelGuard } from '../server/channel-guard';

/** How long a publish waits for the broker's confirm before it counts as failed. */
export const PUBLISH_TIMEOUT_MS = 5_000;

/**
 * The broker stored nothing because no queue is bound for the message's key: a matter of
 * topology, which a retry soon after will not change (unlike a confirm that did not come).
 */
export class PublishReturned extends Error {
  constructor(exchange: string, routingKey: string) {
    super(`no queue took ${routingKey} on ${exchange || 'the default exchange'}`);
    this.name = 'PublishReturned';
  }
}

/**
 * A publishing channel that resolves only on the broker's confirm and rejects a message
 * the broker returned as unroutable (`mandatory`): resolved means stored in a queue.
 * A return is matched to its publish by exchange, routing key and messageId; copies that
 * share all three are interchangeable, so which of them the return is counted against
 * does not matter.
 */
export class ConfirmedChannel {
  private readonly channel: ChannelWrapper;
  private readonly returned = new Map<string, number>();

  constructor(connection: AmqpConnectionManager, name: string, setup?: (channel: ConfirmChannel) => Promise<void>) {
    this.channel = connection.createChannel({
      name,
      confirm: true,
      setup: async (channel: ConfirmChannel) => {
        channel.on('return', ({ fields, properties }: Message) => {
          const key = keyOf(fields.exchange, fields.routingKey, properties.messageId);
          this.returned.set(key, (this.returned.get(key) ?? 0) + 1);
        });
        await setup?.(channel);
      },
    });
    // Unwatched, a refused declare or publish would kill the process (see ChannelGuard).
    ChannelGuard.of(connection).watch(this.channel, name);
  }

  async publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish & { messageId: string }): Promise<void> {
    const key = keyOf(exchange, routingKey, options.messageId);
    let failure: unknown;
    try {
      await this.channel.publish(exchange, routingKey, content, { ...options, mandatory: true, timeout: PUBLISH_TIMEOUT_MS });
    } catch (error) {
      failure = error;
    }
    // The broker sends basic.return before the confirm, so by now it is here if it was returned.
    if (this.takeReturn(key)) throw new PublishReturned(exchange, routingKey);
    if (failure) throw failure;
  }

  /**
   * Puts a copy of a message straight onto one queue through the default exchange (a delay
   * queue, a dead-letter queue, a handler's queue for a re-run, a central queue), with new
   * headers; resolved means the copy is safe, so the caller may ack the original.
   */
  sendToQueue(queue: string, content: Buffer, properties: Partial<MessageProperties>, headers: Record<string, unknown>): Promise<void> {
    return this.publish('', queue, content, {
      persistent: true,
      contentType: properties.contentType ?? 'application/json',
      // Poison may come without one; the copy still needs a key to be told apart if returned.
      messageId: properties.messageId ?? randomUUID(),
      type: properties.type,
      timestamp: properties.timestamp,
      correlationId: properties.correlationId,
      headers,
    });
  }

  private takeReturn(key: string): boolean {
    const count = this.returned.get(key) ?? 0;
    if (count === 0) return false;
    if (count === 1) this.returned.delete(key);
    else this.returned.set(key, count - 1);
    return true;
  }
}

function keyOf(exchange: string, routingKey: string, messageId: string | undefined): string {
  return `${exchange}\u0000${routingKey}\u0000${messageId ?? ''}`;
}
