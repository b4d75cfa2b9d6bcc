import {
  ATTEMPT_HEADER,
  type AttemptError,
  deadLetterQueueName,
  describeError,
  ERRORS_HEADER,
  type EventEnvelope,
  failureHeaders,
  formatDuration,
  InvalidEnvelopeError,
  MARK_PROCESSED_SQL,
  nextAttemptHeaders,
  readAttempt,
  readEnvelope,
  readErrors,
  RERUN_HEADER,
  retryQueueNames,
  storedHeaders,
  summariseAttempt,
} from '@backstop/transport';
import { Nack } from '@golevelup/nestjs-rabbitmq';
import { Injectable, Logger } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import { Coordinator } from '../../coordinator/coordinator.service';
import { Statement } from '../../database/statement';
import { Metrics } from '../../ops/metrics.service';
import { FailureRecorder } from '../failed-messages/failure-recorder';
import { delayTierAtLeast } from '../retries/delay-tier';
import { RetryPublisher } from '../retries/retry-publisher';
import type { HandlerContext, HandlerOutcome, RetryAdvice } from './event-handler.decorator';
import type { RegisteredHandler } from './registered-handler';

const markProcessed = new Statement('mark processed', MARK_PROCESSED_SQL);

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
      this.logger.error({ handler: handler.queue, messageId: message.properties.messageId ?? null, attempt: readAttempt(message) }, `poison message on ${handler.queue}: ${error.message}`);
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
      this.logger.debug(logFields(handler, envelope, attempt), `${handler.queue} ${outcome} ${envelope.type}`);
      this.metrics.handlerRuns.inc({ handler: handler.queue, outcome: rerunOf ? 'rerun_resolved' : outcome });
      if (rerunOf) await this.recorder.rerunSucceeded(rerunOf);
      return;
    } catch (error) {
      if ((error as RetryAdvice).notYet) return this.notYet(handler, message);
      this.logger.warn(logFields(handler, envelope, attempt), `${handler.queue} failed on ${envelope.type}: ${(error as Error).message}`);
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
        const delayQueue = retryQueueNames(handler.queue, handler.delaysMs).get(delayMs)!;
        await this.publisher.toQueue(delayQueue, message.content, message.properties, nextAttemptHeaders(message, attempt, errors));
        return;
      }
      this.metrics.handlerRuns.inc({ handler: handler.queue, outcome: 'failed' });
      return this.setAside(handler, message, attempt, errors.slice(0, -1), error, false);
    }
  }

  /** Back after the shortest delay with the attempt number and errors it came with: it was not tried. */
  private async notYet(handler: RegisteredHandler, message: ConsumeMessage): Promise<void> {
    this.metrics.handlerRuns.inc({ handler: handler.queue, outcome: 'not_yet' });
    const shortestMs = Math.min(...handler.delaysMs);
    await this.publisher.toQueue(retryQueueNames(handler.queue, handler.delaysMs).get(shortestMs)!, message.content, message.properties, {
      ...storedHeaders(message),
      [ATTEMPT_HEADER]: readAttempt(message),
      ...(message.properties.headers?.[ERRORS_HEADER] === undefined ? {} : { [ERRORS_HEADER]: message.properties.headers[ERRORS_HEADER] }),
    });
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
    this.logger.error(logFields(handler, envelope, attempt), `${handler.queue} refused ${envelope.type}: ${reason}`);
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
      this.logger.error(
        { handler: handler.queue, messageId: message.properties.messageId ?? null, orderId: orderIdOf(message), attempt },
        `cannot record the failure on ${handler.queue}, parking it in the DLQ: ${(recordError as Error).message}`,
      );
      try {
        await this.publisher.toQueue(deadLetterQueueName(handler.queue), message.content, message.properties, failureHeaders(message, attempt, errors, poison));
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
        this.coordinator.transaction(
          async (transaction, claimed): Promise<HandlerOutcome> => (claimed.length === 0 ? 'skipped' : ((await work(transaction)) ?? 'done')),
          { statement: markProcessed, values: [handler.queue, envelope.id] },
        ),
    };
  }
}

/** The fields every handler log line carries, so one order's or one message's story can be filtered out of the logs. */
function logFields(handler: RegisteredHandler, envelope: EventEnvelope, attempt: number) {
  const data = envelope.data as { orderId?: string; id?: string };
  return { handler: handler.queue, messageId: envelope.id, orderId: data.orderId ?? (envelope.type === 'order.created' ? data.id : undefined) ?? null, attempt, type: envelope.type };
}

function orderIdOf(message: ConsumeMessage): string | null {
  try {
    const data = JSON.parse(message.content.toString('utf8'))?.data;
    return data?.orderId ?? null;
  } catch {
    return null;
  }
}
