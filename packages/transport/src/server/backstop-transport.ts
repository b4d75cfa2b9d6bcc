import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import amqp, { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import { setTimeout as delay } from 'node:timers/promises';
import { lastValueFrom } from 'rxjs';
import { describeError, summariseAttempt } from '../broker/attempt-error';
import { ConfirmedChannel } from '../broker/confirmed-channel';
import { writeFramesPerTurn } from '../broker/frames-per-turn';
import { declareCentralQueues, declareHandlerTopology } from '../broker/handler-topology';
import { deadLetterErrors, POISON_HEADER, readAttempt, readErrors, readRerun } from '../broker/message-headers';
import { nextStep, Run } from '../broker/next-step';
import { deadLetterQueueName, ORDER_EVENTS_EXCHANGE } from '../broker/topology';
import { InvalidEnvelopeError, readEnvelope } from '../events/envelope';
import type { EventEnvelope } from '../events/event-map';
import { orderIdOf } from '../events/order-id';
import { BackstopContext } from './backstop-context';
import { ChannelGuard } from './channel-guard';
import { OutcomePublisher } from './outcome-publisher';
import { EventRoute, eventRoutes } from './event-routes';
import { BackstopTransportOptions, ResolvedTransportOptions, resolveTransportOptions } from './transport-options';

export const BACKSTOP_TRANSPORT = Symbol('backstop');
/** How long a dead letter waits before it is offered again while the broker will not take its report. */
const REPORT_BACKOFF_MS = 2_000;

/**
 * A `@nestjs/microservices` transport for internal services that consume `order.events`:
 * the service's own durable queue bound to its `@EventPattern` keys, envelope validation,
 * retries through per-delay queues (`<queue>.retry.<delay>`), manual acks and prefetch. A
 * message the service gives up on goes to `backstop.errors`, where backstop records it for
 * its console; a re-run from the console reports its outcome on `backstop.rerun-results`.
 *
 * Every log line is one object of fields (`queue`, `messageId`, `orderId`, `attempt`,
 * `type`) with its text in `msg`, so a JSON logger writes it as one line to filter on.
 */
export class BackstopTransport extends Server implements CustomTransportStrategy {
  readonly transportId = BACKSTOP_TRANSPORT;
  protected readonly logger = new Logger(BackstopTransport.name);
  private readonly settings: ResolvedTransportOptions;
  private routes: EventRoute[] = [];
  private connection?: AmqpConnectionManager;
  private consumer?: ChannelWrapper;
  private outcomes?: OutcomePublisher;
  private consuming?: { channel: Channel; tags: string[] };
  private readonly inFlight = new Set<Promise<void>>();
  private warnedOfDefaultFilter = false;

  constructor(options: BackstopTransportOptions) {
    super();
    this.settings = resolveTransportOptions(options);
  }

  listen(callback: (error?: unknown) => void): void {
    try {
      this.routes = eventRoutes(this.getHandlers());
    } catch (error) {
      return callback(error);
    }
    const { urls, queue, delaysMs } = this.settings;
    // amqplib leaves Nagle's algorithm on, which holds each small ack and confirm up to 40 ms.
    this.connection = amqp.connect(urls, { heartbeatIntervalInSeconds: 5, reconnectTimeInSeconds: 1, connectionOptions: { noDelay: true } });
    writeFramesPerTurn(this.connection);
    this.connection.on('disconnect', ({ err }) => this.logger.warn({ msg: `broker connection lost: ${err?.message ?? 'closed'}`, queue }));
    this.outcomes = new OutcomePublisher(new ConfirmedChannel(this.connection, `${queue}.publisher`), queue, delaysMs);
    this.consumer = this.connection.createChannel({ name: `${queue}.consumer`, setup: (channel: Channel) => this.setUp(channel) });
    ChannelGuard.of(this.connection).watch(this.consumer, `${queue}.consumer`);
    this.consumer.waitForConnect().then(
      () => {
        const patterns = this.routes.map((route) => route.pattern);
        this.logger.log({ msg: `${queue} ← ${patterns.join(', ')}, retries after ${delaysMs.join(', ')} ms`, queue, patterns, retryScheduleMs: delaysMs });
        callback();
      },
      (error: unknown) => callback(error),
    );
  }

  /** Graceful stop: no new deliveries, the ones in hand finish, then the connection closes. */
  async close(): Promise<void> {
    const consuming = this.consuming;
    if (consuming) await Promise.allSettled(consuming.tags.map((tag) => consuming.channel.cancel(tag)));
    await Promise.allSettled([...this.inFlight]);
    await this.consumer?.close().catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
  }

  on<EventKey extends string = string, EventCallback extends Function = Function>(event: EventKey, callback: EventCallback): void {
    if (!this.connection) throw new Error('the backstop transport is not listening yet');
    this.connection.on(event, callback as unknown as (...args: unknown[]) => void);
  }

  unwrap<T>(): T {
    if (!this.connection) throw new Error('the backstop transport is not listening yet');
    return this.connection as T;
  }

  /** Runs on every (re)connect: the service's topology, the central queues, then its consumers. */
  private async setUp(channel: Channel): Promise<void> {
    const { queue, delaysMs, prefetch, queueType } = this.settings;
    const routingKeys = this.routes.map((route) => route.pattern);
    await declareHandlerTopology(channel, ORDER_EVENTS_EXCHANGE, { queue, routingKeys, delaysMs }, queueType);
    await declareCentralQueues(channel, queueType);
    await channel.prefetch(prefetch);
    const consumeWith = (work: (message: ConsumeMessage) => Promise<void>) => (message: ConsumeMessage | null) => {
      if (message) this.track(work(message));
    };
    const work = await channel.consume(queue, consumeWith((message) => this.deliver(channel, message)), { noAck: false });
    const deadLetters = await channel.consume(deadLetterQueueName(queue), consumeWith((message) => this.forwardDeadLetter(channel, message)), { noAck: false });
    this.consuming = { channel, tags: [work.consumerTag, deadLetters.consumerTag] };
  }

  private track(running: Promise<void>): void {
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running)).catch(() => undefined);
  }

  /** One delivery: handled and acked, or — when its next step could not be published — dead-lettered. */
  private async deliver(channel: Channel, message: ConsumeMessage): Promise<void> {
    let settled: boolean;
    try {
      await this.process(message);
      settled = true;
    } catch (error) {
      this.logger.error({ msg: `cannot settle a message on ${this.settings.queue}, dead-lettering it: ${(error as Error).message}`, ...this.fieldsOf(message) });
      settled = false;
    }
    try {
      if (settled) channel.ack(message);
      else channel.nack(message, false, false);
    } catch {
      // The channel closed meanwhile: the broker delivers the message again.
    }
  }

  private async process(message: ConsumeMessage): Promise<void> {
    const { queue } = this.settings;
    const attempt = readAttempt(message);
    const rerunOf = readRerun(message);
    const rerun = rerunOf !== undefined;
    let envelope: EventEnvelope;
    let route: EventRoute;
    try {
      envelope = readEnvelope(message.content);
      route = this.routeOf(envelope.type);
    } catch (error) {
      if (!(error instanceof InvalidEnvelopeError)) throw error;
      this.logger.error({ msg: `poison message on ${queue}: ${error.message}`, ...this.fieldsOf(message) });
      return this.settle(message, { outcome: 'poison', attempt, rerun }, rerunOf, error);
    }
    const context = new BackstopContext([message, { queue, eventId: envelope.id, attempt, rerunOf }]);
    try {
      await this.invoke(route.handler, envelope, context);
    } catch (error) {
      this.logger.warn({ msg: `${queue} failed on ${envelope.type}: ${(error as Error).message}`, ...this.fieldsOf(message, envelope) });
      return this.settle(message, { outcome: 'failed', attempt, rerun }, rerunOf, error);
    }
    this.logger.debug({ msg: `${queue} handled ${envelope.type}`, ...this.fieldsOf(message, envelope) });
    return this.settle(message, { outcome: 'handled', attempt, rerun }, rerunOf);
  }

  /**
   * Carries out the next step (see `nextStep`): a re-run reports back; otherwise the next
   * delay queue, or, after the last attempt (or for poison), a report to `backstop.errors`.
   * Errors carry no retry advice here: a service's failure retries on its schedule.
   */
  private async settle(message: ConsumeMessage, run: Run, rerunOf: string | undefined, error?: unknown): Promise<void> {
    const outcomes = this.outcomes!;
    const { attempt } = run;
    const step = nextStep(run, this.settings.delaysMs);
    switch (step.step) {
      case 'ack':
        return;
      case 'rerun-resolved':
        return outcomes.rerunResult({ failedMessageId: rerunOf!, outcome: 'RESOLVED', attempt });
      case 'rerun-failed':
        return outcomes.rerunResult({
          failedMessageId: rerunOf!,
          outcome: 'FAILED',
          attempt,
          error: describeError(error),
          summary: summariseAttempt(attempt, error).error,
        });
      case 'retry':
        return outcomes.retry(message, step.delayMs, attempt, [...readErrors(message), summariseAttempt(attempt, error)]);
      case 'wait':
        return outcomes.wait(message, step.delayMs);
      case 'set-aside':
        return outcomes.report(message, attempt, [...readErrors(message), summariseAttempt(attempt, error)], step.poison);
    }
  }

  /** The fields of a log line about one delivery; the order's id is read from the body when it is not a valid envelope. */
  private fieldsOf(message: ConsumeMessage, envelope?: EventEnvelope) {
    return {
      queue: this.settings.queue,
      messageId: envelope?.id ?? message.properties.messageId ?? null,
      orderId: envelope ? orderIdOf(envelope) : orderIdOf(message.content),
      attempt: readAttempt(message),
      type: envelope?.type ?? message.properties.type ?? null,
    };
  }

  /** What was dead-lettered (its report could not be published) is reported once the broker takes it. */
  private async forwardDeadLetter(channel: Channel, message: ConsumeMessage): Promise<void> {
    try {
      const poison = message.properties.headers?.[POISON_HEADER] === true;
      await this.outcomes!.report(message, readAttempt(message), deadLetterErrors(message, this.settings.queue), poison);
      channel.ack(message);
    } catch (error) {
      this.logger.warn({ msg: `cannot report a dead letter of ${this.settings.queue} yet: ${(error as Error).message}`, ...this.fieldsOf(message) });
      await delay(REPORT_BACKOFF_MS);
      try {
        channel.nack(message, false, true);
      } catch {
        // The channel closed meanwhile: the broker delivers the message again.
      }
    }
  }

  private routeOf(type: string): EventRoute {
    const route = this.routes.find((candidate) => candidate.matches(type));
    if (!route) throw new InvalidEnvelopeError(`${this.settings.queue} does not handle ${type}`);
    return route;
  }

  /** Runs the Nest handler (guards, pipes, interceptors and filters included) and waits for its result. */
  private async invoke(handler: MessageHandler, envelope: EventEnvelope, context: BackstopContext): Promise<void> {
    try {
      await lastValueFrom(this.transformToObservable(await handler(envelope, context)), { defaultValue: undefined });
    } catch (error) {
      throw this.asError(error);
    }
  }

  /** Nest's default filter turns an error into `{ status, message }`; say once how to keep the real one. */
  private asError(error: unknown): unknown {
    if (error instanceof Error || typeof error !== 'object' || error === null) return error;
    if (!this.warnedOfDefaultFilter) {
      this.warnedOfDefaultFilter = true;
      this.logger.warn({
        msg: 'handler errors reach the transport as "Internal server error": register BackstopErrorFilter to record the real ones',
        queue: this.settings.queue,
      });
    }
    return new Error(String((error as { message?: unknown }).message ?? JSON.stringify(error)));
  }
}
