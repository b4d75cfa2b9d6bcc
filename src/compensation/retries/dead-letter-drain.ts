import { deadLetterErrors, messageIdOf, orderIdOf, POISON_HEADER, readAttempt, storedHeaders } from '@backstop/transport';
import { Nack } from '@golevelup/nestjs-rabbitmq';
import { Injectable, Logger } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import { setTimeout as delay } from 'node:timers/promises';
import { Failure, FailureRecorder } from '../failed-messages/failure-recorder';

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

  drain(queue: string, message: ConsumeMessage): Promise<Nack | void> {
    const errors = deadLetterErrors(message, queue);
    const failure: Failure = {
      handler: queue,
      messageId: messageIdOf(message),
      routingKey: message.properties.type ?? null,
      payload: message.content.toString('utf8'),
      headers: storedHeaders(message),
      attempts: readAttempt(message),
      errors,
      error: errors.at(-1)!.error,
      poison: message.properties.headers?.[POISON_HEADER] === true,
    };
    return this.recordOrHandBack(failure, message, `${queue}.dlq`);
  }

  /** Records a failure taken off a queue; while the database is away, hands the message back to that queue after a pause. */
  async recordOrHandBack(failure: Failure, message: ConsumeMessage, queue: string): Promise<Nack | void> {
    try {
      await this.recorder.record(failure);
    } catch (error) {
      this.logger.warn(
        { handler: failure.handler, queue, messageId: failure.messageId, orderId: orderIdOf(failure.payload), attempt: failure.attempts },
        `cannot record ${failure.messageId} from ${queue} yet: ${(error as Error).message}`,
      );
      return handBackLater();
    }
  }
}

/** Hands a message back to its queue after a pause, so a database outage does not turn the queue into a hot loop. */
export async function handBackLater(): Promise<Nack> {
  await delay(DATABASE_BACKOFF_MS);
  return new Nack(true);
}
