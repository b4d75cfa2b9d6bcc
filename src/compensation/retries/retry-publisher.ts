import { ConfirmedChannel } from '@backstop/transport';
import { AmqpConnection } from '@golevelup/nestjs-rabbitmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import type { MessageProperties } from 'amqplib';

/**
 * Puts a message straight onto one queue (a delay queue, or a handler's own queue for
 * a re-run) through the default exchange, and resolves only on the broker's confirm,
 * so the caller may ack the original knowing the copy is safe.
 */
@Injectable()
export class RetryPublisher implements OnModuleInit {
  private channel: ConfirmedChannel;

  constructor(private readonly amqp: AmqpConnection) {}

  onModuleInit(): void {
    this.channel = new ConfirmedChannel(this.amqp.managedConnection, 'compensation-publisher');
  }

  toQueue(queue: string, content: Buffer, properties: Partial<MessageProperties>, headers: Record<string, unknown>): Promise<void> {
    return this.channel.sendToQueue(queue, content, properties, headers);
  }
}
