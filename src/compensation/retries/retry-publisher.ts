import { AmqpConnection } from '@golevelup/nestjs-rabbitmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import { randomUUID } from 'node:crypto';
import { PUBLISH_TAG_HEADER } from './message-headers';
import type { ConfirmChannel, Message, MessageProperties } from 'amqplib';

const PUBLISH_TIMEOUT_MS = 5_000;

/**
 * Puts a message straight onto one queue (a delay queue, or a handler's own queue for
 * a re-run) through the default exchange, and resolves only on the broker's confirm,
 * so the caller may ack the original knowing the copy is safe.
 */
@Injectable()
export class RetryPublisher implements OnModuleInit {
  private channel: ChannelWrapper;
  private readonly returned = new Set<string>();

  constructor(private readonly amqp: AmqpConnection) {}

  onModuleInit(): void {
    this.channel = this.amqp.managedConnection.createChannel({
      name: 'compensation-publisher',
      confirm: true,
      setup: async (channel: ConfirmChannel) => {
        channel.on('return', (message: Message) => {
          const tag: unknown = message.properties.headers?.[PUBLISH_TAG_HEADER];
          if (typeof tag === 'string' || Buffer.isBuffer(tag)) this.returned.add(tag.toString());
        });
      },
    });
  }

  async toQueue(queue: string, content: Buffer, properties: Partial<MessageProperties>, headers: Record<string, unknown>) {
    // A per-publish tag tells our returns apart: several copies may share a messageId.
    const tag = randomUUID();
    try {
      await this.channel.publish('', queue, content, {
        persistent: true,
        mandatory: true,
        contentType: properties.contentType ?? 'application/json',
        messageId: properties.messageId,
        type: properties.type,
        timestamp: properties.timestamp,
        correlationId: properties.correlationId,
        headers: { ...headers, [PUBLISH_TAG_HEADER]: tag },
        timeout: PUBLISH_TIMEOUT_MS,
      });
    } catch (error) {
      this.returned.delete(tag);
      throw error;
    }
    if (this.returned.delete(tag)) throw new Error(`queue ${queue} does not exist`);
  }
}
