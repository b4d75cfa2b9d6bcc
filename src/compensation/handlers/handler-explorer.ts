import {
  deadLetterQueueName,
  deadLetterQueueOptions,
  declareCentralQueues,
  declareHandlerTopology,
  ERRORS_QUEUE,
  ORDER_EVENTS_EXCHANGE,
  RERUN_RESULTS_QUEUE,
  workQueueOptions,
} from '@backstop/transport';
import { DiscoveryService } from '@golevelup/nestjs-discovery';
import { AmqpConnection, Nack, QueueOptions } from '@golevelup/nestjs-rabbitmq';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Channel, ConsumeMessage } from 'amqplib';
import { setTimeout as delay } from 'node:timers/promises';
import { appConfig } from '../../config/app.config';
import { messagingConfig } from '../../config/messaging.config';
import { EVENT_HANDLER, EventHandlerOptions } from './event-handler.decorator';
import { HandlerSchedules } from './handler-schedules';
import { TopologyReadiness } from '../../messaging/topology-readiness';
import { DeadLetterDrain } from '../retries/dead-letter-drain';
import { ServiceFailureIntake } from '../services/service-failure-intake';
import { HandlerRunner } from './handler-runner';
import { delayQueueDelays, RegisteredHandler } from './registered-handler';

/** How long a stop waits for subscriptions still being set up. */
const SUBSCRIBING_WAIT_MS = 5_000;

/**
 * Finds every `@EventHandler` at start and, in processes that run workers, declares its
 * topology and subscribes it. Handlers themselves know nothing of queues or retries.
 */
@Injectable()
export class HandlerExplorer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(HandlerExplorer.name);
  readonly handlers: RegisteredHandler[] = [];
  /** Each subscription until golevelup has set it up: settled when its consumer runs, or it failed. */
  private readonly subscriptions: Promise<boolean>[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly amqp: AmqpConnection,
    private readonly runner: HandlerRunner,
    private readonly drain: DeadLetterDrain,
    private readonly services: ServiceFailureIntake,
    private readonly topology: TopologyReadiness,
    private readonly schedules: HandlerSchedules,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(messagingConfig.KEY) private readonly messaging: ConfigType<typeof messagingConfig>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const methods = await this.discovery.providerMethodsWithMetaAtKey<EventHandlerOptions>(EVENT_HANDLER);
    // Every module has defined its schedules by now (in onModuleInit); one a handler names
    // that nobody defined stops the start, naming the handler.
    this.schedules.seal(HandlerExplorer.name);
    const problems: string[] = [];
    for (const { meta, discoveredMethod } of methods) {
      const instance = discoveredMethod.parentClass.instance as Record<string, unknown>;
      const method = discoveredMethod.handler.bind(instance);
      try {
        const delaysMs = this.schedules.retrySchedule(meta.retry);
        this.handlers.push({
          ...meta,
          delaysMs,
          waitMs: meta.waitOnBroker === undefined ? Math.min(...delaysMs) : this.schedules.deliveryDelay(meta.waitOnBroker),
          deliveryDelayMs: meta.deliverAfter === undefined ? undefined : this.schedules.deliveryDelay(meta.deliverAfter),
          invoke: method,
        });
      } catch (error) {
        problems.push(`${meta.queue}: ${(error as Error).message}`);
      }
    }
    if (problems.length > 0) {
      throw new Error(`Cannot set up the event handlers:\n  ${problems.join('\n  ')}\n  (a module defines its schedules with HandlerSchedules.define or defineDelay in its onModuleInit)`);
    }
    this.declareAll();
    if (!this.app.runsWorker) return;
    for (const handler of this.handlers) this.subscribe(handler);
    this.subscribeCentralQueues();
  }

  /**
   * Graceful stop: take no new deliveries, let the ones in hand finish while the database is
   * still open. Subscriptions still being set up on a live connection finish first: golevelup
   * runs each as a channel setup whose promise nothing handles, so a queue declaration the
   * closing channel cut short would end the process with an unhandled "Channel ended" (a
   * SIGTERM just after start did, half the time). Bounded: a broker that stops answering does
   * not hold the stop.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.amqp.managedConnection.isConnected()) {
      await Promise.race([Promise.allSettled(this.subscriptions), delay(SUBSCRIBING_WAIT_MS, undefined, { ref: false })]);
    }
    await Promise.allSettled(this.amqp.consumerTags.map((tag) => this.amqp.cancelConsumer(tag)));
    await this.runner.idle();
  }

  /**
   * Not awaited, here and in `subscribe`: golevelup runs these setups whenever the broker
   * (re)connects, so a process that starts while the broker is down still serves HTTP
   * (G7) and sets up as soon as it can.
   */
  private declareAll(): void {
    this.amqp.managedChannel
      .addSetup(async (channel: Channel) => {
        for (const handler of this.handlers) {
          // The wait delay is one more delay queue beside the schedule's.
          await declareHandlerTopology(channel, ORDER_EVENTS_EXCHANGE, { ...handler, delaysMs: delayQueueDelays(handler) }, this.messaging.queueType);
        }
        await declareCentralQueues(channel, this.messaging.queueType);
        this.topology.markDeclared();
      })
      .catch((error: Error) => this.logger.error(`cannot declare the handler topology: ${error.message}`));
  }

  private subscribe(handler: RegisteredHandler): void {
    const { queue, routingKeys, delaysMs } = handler;
    const queueType = this.messaging.queueType;
    // The runner reads and validates the raw body itself, so poison reaches it; anything it
    // let through goes to the DLQ (never golevelup's default, which requeues forever).
    void this.consume(queue, { ...workQueueOptions(queue, queueType), channel: handler.channel }, (message) => this.runner.run(handler, message), false).then((subscribed) => {
      if (subscribed) this.logger.log(`${queue} ← ${routingKeys.join(', ')}, retries after ${delaysMs.join(', ')} ms`);
    });
    const deadLetters = deadLetterQueueName(queue);
    void this.consume(deadLetters, deadLetterQueueOptions(queueType), (message) => this.drain.drain(queue, message), true);
  }

  /** What internal services on the transport report: failures they gave up on, and how re-runs went. */
  private subscribeCentralQueues(): void {
    const options = deadLetterQueueOptions(this.messaging.queueType);
    const ownQueues = new Set(this.handlers.map((handler) => handler.queue));
    void this.consume(ERRORS_QUEUE, options, (message) => this.services.takeReport(message, ownQueues), true);
    void this.consume(RERUN_RESULTS_QUEUE, options, (message) => this.services.takeRerunResult(message), true);
  }

  /** Subscribes `work` to `queue` (see `createSubscriber`), kept until it is set up, for the stop. */
  private consume(queue: string, queueOptions: QueueOptions, work: (message: ConsumeMessage) => Promise<Nack | void>, requeueOnError: boolean): Promise<boolean> {
    const subscribing = this.createSubscriber(queue, queueOptions, work, requeueOnError);
    this.subscriptions.push(subscribing);
    return subscribing;
  }

  /**
   * Subscribes `work` to `queue` with the raw body (what does not parse is the work's to
   * record). Bindings are `declareAll`'s; the queue options match, so either may run first.
   */
  private async createSubscriber(
    queue: string,
    queueOptions: QueueOptions,
    work: (message: ConsumeMessage) => Promise<Nack | void>,
    requeueOnError: boolean,
  ): Promise<boolean> {
    try {
      await this.amqp.createSubscriber(
        (_content: unknown, message?: ConsumeMessage) => work(message!),
        {
          queue,
          queueOptions,
          allowNonJsonMessages: true,
          deserializer: (content: Buffer) => content,
          errorHandler: (channel, message) => nackQuietly(() => channel.nack(message, false, requeueOnError)),
        },
        queue,
      );
      return true;
    } catch (error) {
      this.logger.error(`cannot subscribe ${queue}: ${(error as Error).message}`);
      return false;
    }
  }
}

/** On a closed channel the broker redelivers the message anyway; nothing more to do. */
function nackQuietly(nack: () => void): void {
  try {
    nack();
  } catch {
    /* channel already closed */
  }
}
