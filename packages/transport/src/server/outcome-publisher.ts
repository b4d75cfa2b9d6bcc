import type { Message } from 'amqplib';
import type { AttemptError } from '../broker/attempt-error';
import type { ConfirmedChannel } from '../broker/confirmed-channel';
import { retryQueueNames } from '../broker/handler-topology';
import { nextAttemptHeaders } from '../broker/message-headers';
import { ERRORS_QUEUE, RERUN_RESULTS_QUEUE } from '../broker/topology';
import { errorReportHeaders } from '../central/error-report';
import type { RerunResult } from '../central/rerun-result';

/**
 * What a service's delivery leads to on the broker, each confirmed before the original is
 * acked: the next delay queue, a report to `backstop.errors`, or a re-run's result.
 */
export class OutcomePublisher {
  private readonly retryQueues: Map<number, string>;

  constructor(
    private readonly channel: ConfirmedChannel,
    private readonly queue: string,
    private readonly delaysMs: readonly number[],
  ) {
    this.retryQueues = retryQueueNames(queue, delaysMs);
  }

  /** The delay before the attempt after `attempt`, or undefined when `attempt` was the last. */
  delayAfter(attempt: number): number | undefined {
    return this.delaysMs[attempt - 1];
  }

  retry(message: Message, attempt: number, errors: AttemptError[]): Promise<void> {
    const queue = this.retryQueues.get(this.delayAfter(attempt)!)!;
    return this.channel.sendToQueue(queue, message.content, message.properties, nextAttemptHeaders(message, attempt, errors));
  }

  report(message: Message, attempt: number, errors: AttemptError[], poison: boolean): Promise<void> {
    return this.channel.sendToQueue(ERRORS_QUEUE, message.content, message.properties, errorReportHeaders(this.queue, message, attempt, errors, poison));
  }

  rerunResult(result: Omit<RerunResult, 'queue'>): Promise<void> {
    const body = Buffer.from(JSON.stringify({ ...result, queue: this.queue }));
    return this.channel.sendToQueue(RERUN_RESULTS_QUEUE, body, { contentType: 'application/json' }, {});
  }
}
