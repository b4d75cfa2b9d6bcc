import {
  type AttemptError,
  deadLetterQueueName,
  delayTierAtLeast,
  describeError,
  type EventEnvelope,
  failureHeaders,
  formatDuration,
  InvalidEnvelopeError,
  messageIdOf,
  type NextStep,
  nextAttemptHeaders,
  nextStep,
  orderIdOf,
  readAttempt,
  readWaits,
  readEnvelope,
  readErrors,
  readRerun,
  retryQueueNames,
  type Run,
  sameAttemptHeaders,
  scheduledDelay,
  storedHeaders,
  summariseAttempt,
} from '@backstop/transport';
import { Nack } from '@golevelup/nestjs-rabbitmq';
import { Injectable, Logger } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import { Coordinator } from '../../coordinator/coordinator.service';
import { ProcessedMessagesRepository } from '../processed-messages.repository';
import { Metrics } from '../../metrics/metrics.service';
import { FailureRecorder } from '../failed-messages/failure-recorder';
import { RetryPublisher } from '../retries/retry-publisher';
import type { FailureDetail, HandlerContext, HandlerOutcome, RetryAdvice } from './event-handler.decorator';
import { delayQueueDelays, RegisteredHandler } from './registered-handler';

/**
 * Wraps every handler run: reads and validates the envelope, gives the handler its
 * at-most-once transaction, and follows the next step `nextStep` decides (shared with the
 * transport of internal services): the next delay queue, a failure record, or — with the
 * database gone — the DLQ.
 */
@Injectable()
export class HandlerRunner {
  private readonly logger = new Logger(HandlerRunner.name);
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly coordinator: Coordinator,
    private readonly processed: ProcessedMessagesRepository,
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
      this.logger.error(
        { handler: handler.queue, messageId: message.properties.messageId ?? null, orderId: orderIdOf(message.content), attempt: readAttempt(message) },
        `poison message on ${handler.queue}: ${error.message}`,
      );
      // What cannot be read is recorded afresh, whatever its headers say: attempt 1, no
      // earlier errors, and not as a re-run (a re-run of it updates its row in place).
      return this.follow(handler, message, { outcome: 'poison', attempt: 1, rerun: false }, { error, earlierErrors: [] });
    }

    const attempt = readAttempt(message);
    const rerunOf = readRerun(message);
    const rerun = rerunOf !== undefined;
    // A re-run is one attempt with no delay tiers; otherwise the schedule says what is next.
    const retryDelayMs = rerun ? undefined : scheduledDelay(handler.delaysMs, attempt);
    let outcome: HandlerOutcome;
    try {
      outcome = await handler.invoke(envelope, this.contextFor(handler, envelope, attempt, retryDelayMs));
    } catch (error) {
      const run: Run = { outcome: 'failed', advice: adviceOf(error), attempt, rerun, waits: readWaits(message) };
      if (!run.advice?.notYet) this.logger.warn(logFields(handler, envelope, attempt), `${handler.queue} failed on ${envelope.type}: ${(error as Error).message}`);
      return this.follow(handler, message, run, { rerunOf, error, earlierErrors: readErrors(message) });
    }
    if (typeof outcome === 'object') {
      this.logger.error(logFields(handler, envelope, attempt), `${handler.queue} refused ${envelope.type}: ${outcome.refused}`);
      const error = new InvalidEnvelopeError(outcome.refused);
      return this.follow(handler, message, { outcome: 'poison', attempt, rerun }, { rerunOf, error, earlierErrors: readErrors(message) });
    }
    this.logger.debug(logFields(handler, envelope, attempt), `${handler.queue} ${outcome} ${envelope.type}`);
    return this.follow(handler, message, { outcome: 'handled', attempt, rerun }, { rerunOf, handled: outcome });
  }

  /**
   * Carries out the next step `nextStep` gives the run: acknowledge, settle a re-run's row,
   * publish a copy to a delay queue (confirmed before the original is acked: a crash in
   * between duplicates, never loses), or record the message as failed.
   */
  private async follow(handler: RegisteredHandler, message: ConsumeMessage, run: Run, about: RunDetails): Promise<Nack | void> {
    const step = nextStep(run, handler.delaysMs, handler.waitMs);
    const { attempt } = run;
    this.metrics.handlerRuns.inc({ handler: handler.queue, outcome: run.outcome === 'poison' ? 'poison' : (STEP_OUTCOME[step.step] ?? about.handled!) });
    switch (step.step) {
      case 'ack':
        return;
      case 'rerun-resolved':
        return this.recorder.rerunSucceeded(about.rerunOf!);
      case 'rerun-failed':
        return this.recorder.rerunFailed(about.rerunOf!, attempt, describeError(about.error), summariseAttempt(attempt, about.error).error, endpointOf(about.error));
      case 'retry': {
        this.metrics.retries.inc({ handler: handler.queue, tier: formatDuration(step.delayMs) });
        const errors = [...about.earlierErrors!, summariseAttempt(attempt, about.error)];
        return this.publisher.toQueue(this.delayQueue(handler, step.delayMs), message.content, message.properties, nextAttemptHeaders(message, attempt, errors));
      }
      case 'wait':
        // Back after the wait delay with the attempt number and errors it came with: it was not tried.
        return this.publisher.toQueue(this.delayQueue(handler, step.delayMs), message.content, message.properties, sameAttemptHeaders(message));
      case 'set-aside':
        return this.setAside(handler, message, attempt, about.earlierErrors!, about.error, step.poison);
    }
  }

  private delayQueue(handler: RegisteredHandler, delayMs: number): string {
    return retryQueueNames(handler.queue, delayQueueDelays(handler)).get(delayMs)!;
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
        messageId: messageIdOf(message),
        // Back from a delay queue the routing key is the queue's name; the type keeps the event's.
        routingKey: message.properties.type ?? message.fields.routingKey,
        payload: message.content.toString('utf8'),
        headers: storedHeaders(message),
        attempts: attempt,
        errors,
        error: describeError(error),
        endpoint: endpointOf(error),
        poison,
      });
    } catch (recordError) {
      this.logger.error(
        { handler: handler.queue, messageId: message.properties.messageId ?? null, orderId: orderIdOf(message.content), attempt },
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
      once: (work, readsAhead = []) => {
        const marking = this.processed.markProcessed(handler.queue, envelope.id, envelope.occurredAt);
        return this.coordinator.transaction(
          async (transaction): Promise<HandlerOutcome> =>
            transaction.answerTo(marking.at(-1)!).length === 0 ? 'skipped' : ((await work(transaction)) ?? 'done'),
          [...marking, ...readsAhead],
        );
      },
    };
  }
}

/** What `follow` needs besides the step: the re-run's row, the error and the errors before it, or how the handler ended. */
interface RunDetails {
  rerunOf?: string;
  error?: unknown;
  earlierErrors?: AttemptError[];
  handled?: 'done' | 'skipped';
}

/** The `outcome` label of `backstop_handler_runs_total` for each step; an acknowledged run counts as what the handler did. */
const STEP_OUTCOME: Partial<Record<NextStep['step'], string>> = {
  'rerun-resolved': 'rerun_resolved',
  'rerun-failed': 'rerun_failed',
  retry: 'retried',
  wait: 'not_yet',
  'set-aside': 'failed',
};

/** What a thrown error says of the next attempt, if it is an object that can say anything. */
function adviceOf(error: unknown): RetryAdvice | undefined {
  return typeof error === 'object' && error !== null ? (error as RetryAdvice) : undefined;
}

/** The endpoint a thrown error says it failed against (FailureDetail), if it says. */
function endpointOf(error: unknown): string | undefined {
  const endpoint = typeof error === 'object' && error !== null ? (error as FailureDetail).endpoint : undefined;
  return typeof endpoint === 'string' ? endpoint : undefined;
}

/** The fields every handler log line carries, so one order's or one message's story can be filtered out of the logs. */
function logFields(handler: RegisteredHandler, envelope: EventEnvelope, attempt: number) {
  return { handler: handler.queue, messageId: envelope.id, orderId: orderIdOf(envelope), attempt, type: envelope.type };
}
