import { DiscoveryService } from '@golevelup/nestjs-discovery';
import { AmqpConnection } from '@golevelup/nestjs-rabbitmq';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Channel, ConsumeMessage } from 'amqplib';
import { appConfig } from '../../config/app.config';
import { compensationConfig } from '../../config/compensation.config';
import { messagingConfig } from '../../config/messaging.config';
import { notifyConfig } from '../../config/notify.config';
import { paymentConfig } from '../../config/payment.config';
import { EVENT_HANDLER, EventHandlerOptions } from './event-handler.decorator';
import { deadLetterQueueName, ORDER_EVENTS_EXCHANGE } from '../../messaging/topology';
import { TopologyReadiness } from '../../messaging/topology-readiness';
import { DeadLetterDrain } from '../retries/dead-letter-drain';
import { deadLetterQueueOptions, declareHandlerTopology, workQueueOptions } from '../retries/handler-topology';
import { HandlerRunner } from './handler-runner';
import type { RegisteredHandler } from './registered-handler';

/**
 * Finds every `@EventHandler` at start and, in processes that run workers, declares its
 * topology and subscribes it. Handlers themselves know nothing of queues or retries.
 */
@Injectable()
export class HandlerExplorer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(HandlerExplorer.name);
  readonly handlers: RegisteredHandler[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly amqp: AmqpConnection,
    private readonly runner: HandlerRunner,
    private readonly drain: DeadLetterDrain,
    private readonly topology: TopologyReadiness,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(messagingConfig.KEY) private readonly messaging: ConfigType<typeof messagingConfig>,
    @Inject(notifyConfig.KEY) private readonly notify: ConfigType<typeof notifyConfig>,
    @Inject(compensationConfig.KEY) private readonly compensation: ConfigType<typeof compensationConfig>,
    @Inject(paymentConfig.KEY) private readonly payment: ConfigType<typeof paymentConfig>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const methods = await this.discovery.providerMethodsWithMetaAtKey<EventHandlerOptions>(EVENT_HANDLER);
    for (const { meta, discoveredMethod } of methods) {
      const instance = discoveredMethod.parentClass.instance as Record<string, unknown>;
      const method = discoveredMethod.handler.bind(instance);
      this.handlers.push({
        ...meta,
        delaysMs: meta.retry === 'notify' ? this.notify.retryScheduleMs : this.compensation.handlerRetryScheduleMs,
        deliveryDelayMs: meta.delivery === 'after-order-payment-timeout' ? this.payment.orderPaymentTimeoutMs : undefined,
        invoke: method,
      });
    }
    this.declareAll();
    if (!this.app.runsWorker) return;
    for (const handler of this.handlers) this.subscribe(handler);
  }

  /** Graceful stop: take no new deliveries, let the ones in hand finish while the database is still open. */
  async beforeApplicationShutdown(): Promise<void> {
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
          await declareHandlerTopology(channel, ORDER_EVENTS_EXCHANGE, handler, this.messaging.queueType);
        }
        this.topology.markDeclared();
      })
      .catch((error: Error) => this.logger.error(`cannot declare the handler topology: ${error.message}`));
  }

  private subscribe(handler: RegisteredHandler): void {
    const { queue, routingKeys, delaysMs } = handler;
    const fail = (error: Error) => this.logger.error(`cannot subscribe ${queue}: ${error.message}`);
    this.amqp
      .createSubscriber(
        (_content: unknown, message?: ConsumeMessage) => this.runner.run(handler, message!),
        {
          // Bindings are `declare`'s; the queue options match, so either setup may run first.
          queue,
          queueOptions: workQueueOptions(queue, this.messaging.queueType),
          // The runner reads and validates the raw body itself, so poison reaches it.
          allowNonJsonMessages: true,
          deserializer: (content: Buffer) => content,
          // Never golevelup's default (requeue forever): anything the runner let through goes to the DLQ.
          errorHandler: (channel, message) => nackQuietly(() => channel.nack(message, false, false)),
        },
        queue,
      )
      .then(() => this.logger.log(`${queue} ← ${routingKeys.join(', ')}, retries after ${delaysMs.join(', ')} ms`))
      .catch(fail);
    const deadLetters = deadLetterQueueName(queue);
    this.amqp
      .createSubscriber(
        (_content: unknown, message?: ConsumeMessage) => this.drain.drain(queue, message!),
        {
          queue: deadLetters,
          queueOptions: deadLetterQueueOptions(this.messaging.queueType),
          allowNonJsonMessages: true,
          deserializer: (content: Buffer) => content,
          errorHandler: (channel, message) => nackQuietly(() => channel.nack(message, false, true)),
        },
        deadLetters,
      )
      .catch(fail);
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
