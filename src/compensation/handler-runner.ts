import { Nack } from '@golevelup/nestjs-rabbitmq';
import { Injectable, Logger } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import { Coordinator } from '../coordinator/coordinator.service';
import { InvalidEnvelopeError, readEnvelope } from '../messaging/envelope';
import type { EventEnvelope } from '../messaging/event-map';
import type { HandlerContext, HandlerOutcome } from './event-handler.decorator';
import type { RegisteredHandler } from './registered-handler';

export const ATTEMPT_HEADER = 'x-attempt';

/**
 * Wraps every handler run: reads and validates the envelope, gives the handler its
 * at-most-once transaction, and turns a thrown error into the next step of its policy.
 */
@Injectable()
export class HandlerRunner {
  private readonly logger = new Logger(HandlerRunner.name);

  constructor(private readonly coordinator: Coordinator) {}

  async run(handler: RegisteredHandler, message: ConsumeMessage): Promise<Nack | void> {
    let envelope: EventEnvelope;
    try {
      envelope = readEnvelope(message.content);
      if (!handler.routingKeys.includes(envelope.type)) {
        throw new InvalidEnvelopeError(`${handler.queue} does not handle ${envelope.type}`);
      }
    } catch (error) {
      if (!(error instanceof InvalidEnvelopeError)) throw error;
      this.logger.error(`poison message ${message.properties.messageId ?? '(no id)'} on ${handler.queue}: ${error.message}`);
      return new Nack(false);
    }
    const attempt = readAttempt(message);
    try {
      const outcome = await handler.invoke(envelope, this.contextFor(handler, envelope, attempt));
      this.logger.debug(`${handler.queue} ${outcome} ${envelope.type} ${envelope.id} (attempt ${attempt})`);
    } catch (error) {
      this.logger.warn(`${handler.queue} failed on ${envelope.type} ${envelope.id} (attempt ${attempt}): ${(error as Error).message}`);
      return new Nack(false);
    }
  }

  private contextFor(handler: RegisteredHandler, envelope: EventEnvelope, attempt: number): HandlerContext {
    return {
      messageId: envelope.id,
      attempt,
      once: (work) =>
        this.coordinator.transaction(async (transaction): Promise<HandlerOutcome> => {
          const claimed: unknown[] = await transaction.manager.query(
            `INSERT INTO processed_messages (handler, message_id) VALUES ($1, $2)
             ON CONFLICT DO NOTHING RETURNING message_id`,
            [handler.queue, envelope.id],
          );
          if (claimed.length === 0) return 'skipped';
          return (await work(transaction)) ?? 'done';
        }),
    };
  }
}

export function readAttempt(message: ConsumeMessage): number {
  const value = Number(message.properties.headers?.[ATTEMPT_HEADER] ?? 1);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}
