import type { Message } from 'amqplib';
import type { AttemptError } from '../broker/attempt-error';
import type { ConfirmedChannel } from '../broker/confirmed-channel';
import { retryQueueNames } from '../broker/handler-topology';
import { nextAttemptHeaders, sameAttemptHeaders } from '../broker/message-headers';
import { ERRORS_QUEUE, RERUN_RESULTS_QUEUE } from '../broker/topology';
import { errorReportHeaders } from '../central/error-report';
import type { RerunResult } from '../central/rerun-result';

/**
 * What a service's delivery leads to on the broker, each confirmed before the original is
 * acked: a delay queue, a report to `backstop.errors`, or a re-run's result.
 */
export class OutcomePublisher {
  private readonly retryQueues: Map<number, string>;

  constructor(
    private readonly channel: ConfirmedChannel,
    private readonly queue: string,
    delaysMs: readonly number[],
  ) {
    this.retryQueues = retryQueueNames(queue, delaysMs);
  }

  /** To the delay queue of `delayMs`, to come back as the attempt after `attempt`. */
  retry(message: Message, delayMs: number, attempt: number, errors: AttemptError[]): Promise<void> {
    return this.channel.sendToQueue(this.delayQueue(delayMs), message.content, message.properties, nextAttemptHeaders(message, attempt, errors));
  }

  /** To the delay queue of `delayMs`, to come back as the same attempt: it was not tried. */
  wait(message: Message, delayMs: number): Promise<void> {
    return this.channel.sendToQueue(this.delayQueue(delayMs), message.content, message.properties, sameAttemptHeaders(message));
  }

  report(message: Message, attempt: number, errors: AttemptError[], poison: boolean): Promise<void> {
    return this.channel.sendToQueue(ERRORS_QUEUE, message.content, message.properties, errorReportHeaders(this.queue, message, attempt, errors, poison));
  }

  rerunResult(result: Omit<RerunResult, 'queue'>): Promise<void> {
    const body = Buffer.from(JSON.stringify({ ...result, queue: this.queue }));
    return this.channel.sendToQueue(RERUN_RESULTS_QUEUE, body, { contentType: 'application/json' }, {});
  }

  private delayQueue(delayMs: number): string {
    const queue = this.retryQueues.get(delayMs);
    if (!queue) throw new Error(`${this.queue} has no delay queue of ${delayMs} ms`);
    return queue;
  }
}
