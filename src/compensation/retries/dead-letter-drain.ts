import { Nack } from '@golevelup/nestjs-rabbitmq';
import { Injectable, Logger } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import { setTimeout as delay } from 'node:timers/promises';
import { FailureRecorder } from '../failed-messages/failure-recorder';
import { POISON_HEADER, readAttempt, readErrors, storedHeaders } from './message-headers';

/** How long to hold a message while the database is still away before handing it back. */
const DATABASE_BACKOFF_MS = 2_000;

/**
 * Empties `<queue>.dlq` into `failed_messages`: what was parked there while the
 * database was down becomes a normal failure record once it is back. Nothing is dropped.
 */
@Injectable()
export class DeadLetterDrain {
  private readonly logger = new Logger(DeadLetterDrain.name);

  constructor(private readonly recorder: FailureRecorder) {}

  async drain(queue: string, message: ConsumeMessage): Promise<Nack | void> {
    const errors = readErrors(message);
    const reason = message.properties.headers?.['x-first-death-reason'];
    try {
      await this.recorder.record({
        handler: queue,
        messageId: message.properties.messageId ?? `no-id:${Date.now()}:${message.fields.deliveryTag}`,
        routingKey: message.properties.type ?? null,
        payload: message.content.toString('utf8'),
        headers: storedHeaders(message),
        attempts: readAttempt(message),
        errors,
        error: errors.at(-1)?.error ?? `dead-lettered from ${queue}${reason ? ` (${String(reason)})` : ''}`,
        poison: message.properties.headers?.[POISON_HEADER] === true,
      });
    } catch (error) {
      this.logger.warn(`cannot record ${message.properties.messageId} from ${queue}.dlq yet: ${(error as Error).message}`);
      // A backoff, so a database outage does not turn the DLQ into a hot loop.
      await delay(DATABASE_BACKOFF_MS);
      return new Nack(true);
    }
  }
}
