import { Nack } from '@golevelup/nestjs-rabbitmq';
import { Injectable, Logger } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import { formatDuration } from '../../config/duration';
import { Coordinator } from '../../coordinator/coordinator.service';
import { Statement } from '../../database/statement';
import { InvalidEnvelopeError, readEnvelope } from '../../messaging/envelope';
import type { EventEnvelope } from '../../messaging/event-map';
import { deadLetterQueueName } from '../../messaging/topology';
import { Metrics } from '../../ops/metrics.service';
import { describeError, summariseAttempt } from '../failed-messages/attempt-error';
import type { AttemptError } from '../failed-messages/failed-message.entity';
import { FailureRecorder } from '../failed-messages/failure-recorder';
import { delayTierAtLeast } from '../retries/delay-tier';
import { retryQueueNames } from '../retries/handler-topology';
import { ATTEMPT_HEADER, ERRORS_HEADER, POISON_HEADER, readAttempt, readErrors, RERUN_HEADER, storedHeaders } from '../retries/message-headers';
import { RetryPublisher } from '../retries/retry-publisher';
import type { HandlerContext, HandlerOutcome, RetryAdvice } from './event-handler.decorator';
import type { RegisteredHandler } from './registered-handler';

const markProcessed = new Statement(
  'mark processed',
  `INSERT INTO processed_messages (handler, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING message_id`,
);

/**
 * Wraps every handler run: reads and validates the envelope, gives the handler its
 * at-most-once transaction, and turns a thrown error into the next step of its policy:
 * the next delay queue, a failure record, or — with the database gone — the DLQ.
 */
@Injectable()
export class HandlerRunner {
  private readonly logger = new Logger(HandlerRunner.name);
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly coordinator: Coordinator,
    private readonly recorder: FailureRecorder,
    private readonly publisher: RetryPublisher,
    private readonly metrics: Metrics,
  ) {}

  /** Runs one delivery, tracked so shutdown can wait for it. */
  run(handler: RegisteredHandler, message: ConsumeMessage): Promise<Nack | void> {
    const running = this.runTracked(handler, message);
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running)).catch(() => undefined);
    return running;
  }

  async idle(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async runTracked(handler: RegisteredHandler, message: ConsumeMessage): Promise<Nack | void> {
    let envelope: EventEnvelope;
    try {
      envelope = readEnvelope(message.content);
      if (!handler.routingKeys.includes(envelope.type)) {
        throw new InvalidEnvelopeError(`${handler.queue} does not handle ${envelope.type}`);
      }
    } catch (error) {
      if (!(error instanceof InvalidEnvelopeError)) throw error;
      this.logger.error(`poison message ${message.properties.messageId ?? '(no id)'} on ${handler.queue}: ${error.message}`);
      this.metrics.handlerRuns.inc({ handler: handler.queue, outcome: 'poison' });
      return this.setAside(handler, message, 1, [], error, true);
    }

    const attempt = readAttempt(message);
    const rerunOf = message.properties.headers?.[RERUN_HEADER] as string | undefined;
    // A re-run is one attempt with no delay tiers; otherwise the schedule says what is next.
    const retryDelayMs = rerunOf ? undefined : handler.delaysMs[attempt - 1];
    try {
      const outcome = await handler.invoke(envelope, this.contextFor(handler, envelope, attempt, retryDelayMs));
      if (typeof outcome === 'object') return this.refused(handler, message, envelope, attempt, rerunOf, outcome.refused);
      this.logger.debug(`${handler.queue} ${outcome} ${envelope.type} ${envelope.id} (attempt ${attempt})`);
      this.metrics.handlerRuns.inc({ handler: handler.queue, outcome: rerunOf ? 'rerun_resolved' : outcome });
      if (rerunOf) await this.recorder.rerunSucceeded(rerunOf);
      return;
    } catch (error) {
      this.logger.warn(`${handler.queue} failed on ${envelope.type} ${envelope.id} (attempt ${attempt}): ${(error as Error).message}`);
      const errors = [...readErrors(message), summariseAttempt(attempt, error)];
      if (rerunOf) {
        this.metrics.handlerRuns.inc({ handler: handler.queue, outcome: 'rerun_failed' });
        await this.recorder.rerunFailed(rerunOf, attempt, describeError(error), errors.at(-1)!.error);
        return;
      }
      const advice = error as RetryAdvice;
      if (retryDelayMs !== undefined && !advice.final) {
        const wish = advice.retryAfterMs;
        const delayMs = wish === undefined ? retryDelayMs : delayTierAtLeast(handler.delaysMs, retryDelayMs, wish);
        this.metrics.handlerRuns.inc({ handler: handler.queue, outcome: 'retried' });
        this.metrics.retries.inc({ handler: handler.queue, tier: formatDuration(delayMs) });
        // Confirmed onto the delay queue before the original is acked: a crash in between duplicates, never loses.
        await this.publisher.toQueue(retryQueueNames(handler.queue, handler.delaysMs).get(delayMs)!, message.content, message.properties, {
          ...storedHeaders(message),
          [ATTEMPT_HEADER]: attempt + 1,
          [ERRORS_HEADER]: JSON.stringify(errors),
        });
        return;
      }
      this.metrics.handlerRuns.inc({ handler: handler.queue, outcome: 'failed' });
      return this.setAside(handler, message, attempt, errors.slice(0, -1), error, false);
    }
  }

  /** The handler found the event contradicts the database: set aside as poison, with no effect and no retry. */
  private async refused(
    handler: RegisteredHandler,
    message: ConsumeMessage,
    envelope: EventEnvelope,
    attempt: number,
    rerunOf: string | undefined,
    reason: string,
  ): Promise<Nack | void> {
    this.logger.error(`${handler.queue} refused ${envelope.type} ${envelope.id}: ${reason}`);
    this.metrics.handlerRuns.inc({ handler: handler.queue, outcome: 'poison' });
    const error = new InvalidEnvelopeError(reason);
    if (rerunOf) return this.recorder.rerunFailed(rerunOf, attempt, describeError(error), summariseAttempt(attempt, error).error);
    return this.setAside(handler, message, attempt, readErrors(message), error, true);
  }

  /** Records the message as failed; with the database unreachable, parks it in `<queue>.dlq` instead. */
  private async setAside(
    handler: RegisteredHandler,
    message: ConsumeMessage,
    attempt: number,
    earlierErrors: AttemptError[],
    error: unknown,
    poison: boolean,
  ): Promise<Nack | void> {
    const errors = [...earlierErrors, summariseAttempt(attempt, error)];
    try {
      await this.recorder.record({
        handler: handler.queue,
        messageId: message.properties.messageId ?? `no-id:${message.fields.deliveryTag}:${Date.now()}`,
        // Back from a delay queue the routing key is the queue's name; the type keeps the event's.
        routingKey: message.properties.type ?? message.fields.routingKey,
        payload: message.content.toString('utf8'),
        headers: storedHeaders(message),
        attempts: attempt,
        errors,
        error: describeError(error),
        poison,
      });
    } catch (recordError) {
      this.logger.error(`cannot record failure of ${message.properties.messageId} on ${handler.queue}, parking it in the DLQ: ${(recordError as Error).message}`);
      try {
        await this.publisher.toQueue(deadLetterQueueName(handler.queue), message.content, message.properties, {
          ...storedHeaders(message),
          [ATTEMPT_HEADER]: attempt,
          [ERRORS_HEADER]: JSON.stringify(errors),
          ...(poison ? { [POISON_HEADER]: true } : {}),
        });
      } catch {
        // Last resort: the work queue dead-letters a rejected message into the same DLQ.
        return new Nack(false);
      }
    }
  }

  private contextFor(handler: RegisteredHandler, envelope: EventEnvelope, attempt: number, retryDelayMs?: number): HandlerContext {
    return {
      messageId: envelope.id,
      attempt,
      retryDelayMs,
      retryDelayAtLeast: (atLeastMs) => (retryDelayMs === undefined ? undefined : delayTierAtLeast(handler.delaysMs, retryDelayMs, atLeastMs)),
      once: (work) =>
        this.coordinator.transaction(async (transaction): Promise<HandlerOutcome> => {
          const claimed = await markProcessed.run(transaction.manager, [handler.queue, envelope.id]);
          if (claimed.length === 0) return 'skipped';
          return (await work(transaction)) ?? 'done';
        }),
    };
  }
}
