import {
  ATTEMPT_HEADER,
  type AttemptError,
  ERRORS_HEADER,
  ERRORS_QUEUE,
  FAILED_QUEUE_HEADER,
  POISON_HEADER,
  readAttempt,
  readRerun,
  RERUN_RESULTS_QUEUE,
} from '@backstop/transport';
import { type ChannelModel, type ConfirmChannel, connect } from 'amqplib';
import { randomUUID } from 'node:crypto';

/** One failure a service gives up on: the body it got, and the error its last attempt ended with. */
export interface ServiceFailure {
  messageId?: string;
  routingKey?: string;
  body: string;
  error: string;
  attempts?: number;
  poison?: boolean;
}

/**
 * An internal service as backstop meets it on the broker (docs/events.md, queues for internal
 * services): it reports the messages it gave up on to `backstop.errors`, and when it consumes,
 * answers each re-run on `backstop.rerun-results`. Only the wire is real here: what the
 * service's handler would do is the test's choice (`answerReruns`).
 */
export class ServiceDouble {
  /** The re-runs it was sent, by failed message id, in arrival order. */
  readonly reruns: { failedMessageId: string; attempt: number }[] = [];

  private constructor(
    readonly queue: string,
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
  ) {}

  /** Declares the service's own queue (a re-run is published to it, `mandatory`) and the central ones. */
  static async start(rabbitmqUrl: string, queue: string): Promise<ServiceDouble> {
    const connection = await connect(rabbitmqUrl);
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true });
    return new ServiceDouble(queue, connection, channel);
  }

  /** Reports each failure to backstop.errors, with confirms; answers their message ids. */
  async report(failures: ServiceFailure[]): Promise<string[]> {
    const ids: string[] = [];
    for (const failure of failures) {
      const messageId = failure.messageId ?? randomUUID();
      const attempts = failure.attempts ?? 3;
      const errors: AttemptError[] = Array.from({ length: attempts }, (_, index) => ({ attempt: index + 1, at: new Date().toISOString(), error: failure.error }));
      this.channel.sendToQueue(ERRORS_QUEUE, Buffer.from(failure.body), {
        messageId,
        type: failure.routingKey ?? 'order.paid',
        persistent: true,
        headers: {
          [FAILED_QUEUE_HEADER]: this.queue,
          [ATTEMPT_HEADER]: attempts,
          [ERRORS_HEADER]: JSON.stringify(errors),
          ...(failure.poison ? { [POISON_HEADER]: true } : {}),
        },
      });
      ids.push(messageId);
    }
    await this.channel.waitForConfirms();
    return ids;
  }

  /** Consumes its queue from now on, answering every re-run RESOLVED, as a service whose cause was fixed. */
  async answerReruns(): Promise<void> {
    await this.channel.consume(this.queue, (message) => {
      if (!message) return;
      const failedMessageId = readRerun(message);
      if (failedMessageId !== undefined) {
        const attempt = readAttempt(message);
        this.reruns.push({ failedMessageId, attempt });
        const result = { failedMessageId, queue: this.queue, outcome: 'RESOLVED', attempt };
        this.channel.sendToQueue(RERUN_RESULTS_QUEUE, Buffer.from(JSON.stringify(result)), { messageId: randomUUID(), persistent: true });
      }
      this.channel.ack(message);
    });
  }

  async stop(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}
