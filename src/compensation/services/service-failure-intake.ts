import {
  describeError,
  ERRORS_QUEUE,
  InvalidMessageError,
  messageIdOf,
  orderIdOf,
  readErrorReport,
  readRerunResult,
  RERUN_RESULTS_QUEUE,
  storedHeaders,
  summariseAttempt,
} from '@backstop/transport';
import { Nack } from '@golevelup/nestjs-rabbitmq';
import { Injectable, Logger } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import { Metrics } from '../../metrics/metrics.service';
import { FailureRecorder } from '../failed-messages/failure-recorder';
import { DeadLetterDrain, handBackLater } from '../retries/dead-letter-drain';

/**
 * What internal services on the transport send backstop: a message one of them gave up on
 * becomes a `failed_messages` row of that service's queue, and a re-run's outcome settles
 * its row. A report that does not read is itself recorded, as poison of the central
 * queue it came on, so ops see it and the queue keeps flowing.
 */
@Injectable()
export class ServiceFailureIntake {
  private readonly logger = new Logger(ServiceFailureIntake.name);

  constructor(
    private readonly recorder: FailureRecorder,
    private readonly drain: DeadLetterDrain,
    private readonly metrics: Metrics,
  ) {}

  /** `ownQueues`: backstop's own handlers, whose failures no service may report. */
  async takeReport(message: ConsumeMessage, ownQueues: ReadonlySet<string>): Promise<Nack | void> {
    let report;
    try {
      report = readErrorReport(message);
      if (ownQueues.has(report.queue)) throw new InvalidMessageError(`error report: ${report.queue} is a queue of backstop's own handlers`);
    } catch (error) {
      if (!(error instanceof InvalidMessageError)) throw error;
      return this.refuse(ERRORS_QUEUE, message, error);
    }
    this.logger.warn(
      { handler: report.queue, messageId: report.messageId, orderId: orderIdOf(report.payload), attempt: report.attempts, type: report.routingKey },
      `${report.queue} gave up on ${report.messageId} after ${report.attempts} attempts`,
    );
    this.metrics.handlerRuns.inc({ handler: report.queue, outcome: report.poison ? 'poison' : 'failed' });
    const { queue, ...failure } = report;
    return this.drain.recordOrHandBack({ ...failure, handler: queue, error: report.errors.at(-1)!.error }, message, ERRORS_QUEUE);
  }

  async takeRerunResult(message: ConsumeMessage): Promise<Nack | void> {
    let result;
    try {
      result = readRerunResult(message.content);
    } catch (error) {
      if (!(error instanceof InvalidMessageError)) throw error;
      return this.refuse(RERUN_RESULTS_QUEUE, message, error);
    }
    const { failedMessageId: id, queue, outcome, attempt } = result;
    try {
      const owner = await this.recorder.queueOf(id);
      if (owner !== queue) {
        return this.refuse(RERUN_RESULTS_QUEUE, message, new InvalidMessageError(`rerun result: ${queue} re-ran ${id}, which is not a failed message of its queue`));
      }
      if (outcome === 'RESOLVED') await this.recorder.rerunSucceeded(id);
      else await this.recorder.rerunFailed(id, attempt, result.error!, result.summary!);
    } catch (error) {
      this.logger.warn(`cannot settle the re-run of ${id} yet: ${(error as Error).message}`);
      return handBackLater();
    }
    this.metrics.handlerRuns.inc({ handler: queue, outcome: outcome === 'RESOLVED' ? 'rerun_resolved' : 'rerun_failed' });
  }

  private refuse(queue: string, message: ConsumeMessage, error: InvalidMessageError): Promise<Nack | void> {
    this.logger.error({ handler: queue, messageId: message.properties.messageId ?? null }, `refused a message on ${queue}: ${error.message}`);
    this.metrics.handlerRuns.inc({ handler: queue, outcome: 'poison' });
    const failure = {
      handler: queue,
      messageId: messageIdOf(message),
      routingKey: message.properties.type ?? null,
      payload: message.content.toString('utf8'),
      headers: storedHeaders(message),
      attempts: 1,
      errors: [summariseAttempt(1, error)],
      error: describeError(error),
      poison: true,
    };
    return this.drain.recordOrHandBack(failure, message, queue);
  }
}
