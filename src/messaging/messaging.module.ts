import { ORDER_EVENTS_EXCHANGE, writeFramesPerTurn } from '@backstop/transport';
import { AmqpConnection, MessageHandlerErrorBehavior, RabbitMQModule } from '@golevelup/nestjs-rabbitmq';
import { Global, Module, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { messagingConfig } from '../config/messaging.config';
import { BrokerChannels } from './broker-channels';
import { BrokerConnectionLog } from './broker-connection-log';
import { NOTIFY_CHANNEL } from './consumer-channels';
import { TopologyReadiness } from './topology-readiness';

/** The one broker connection: golevelup's AmqpConnection, shared by the publisher and every handler. */
@Global()
@Module({
  imports: [
    RabbitMQModule.forRootAsync({
      inject: [messagingConfig.KEY],
      useFactory: (config: ConfigType<typeof messagingConfig>) => ({
        // Every node of a cluster: amqp-connection-manager connects to the first that answers
        // and, when that connection is lost, to the next.
        uri: config.urls,
        exchanges: [{ name: ORDER_EVENTS_EXCHANGE, type: 'topic', options: { durable: true } }],
        prefetchCount: config.prefetch,
        channels: { [NOTIFY_CHANNEL]: { prefetchCount: config.notifyPrefetch } },
        // Never requeue on error (golevelup's default would loop a failing message forever).
        defaultSubscribeErrorBehavior: MessageHandlerErrorBehavior.NACK,
        // Start without the broker: the outbox holds events until it is back (G7). Failures
        // are logged with their cause by BrokerConnectionLog rather than golevelup's bare lines.
        connectionInitOptions: { wait: false, skipConnectionFailedLogging: true, skipDisconnectFailedLogging: true },
        connectionManagerOptions: {
          heartbeatIntervalInSeconds: 5,
          reconnectTimeInSeconds: 1,
          // amqplib leaves Nagle's algorithm on: each small publish, ack or confirm would wait
          // for the previous one's TCP ack, up to 40 ms a hop on every step of the pipeline.
          connectionOptions: { noDelay: true },
        },
        enableDirectReplyTo: false,
        registerHandlers: false,
      }),
    }),
  ],
  providers: [TopologyReadiness, BrokerConnectionLog, BrokerChannels],
  exports: [RabbitMQModule, TopologyReadiness, BrokerChannels],
})
export class MessagingModule implements OnModuleInit {
  constructor(private readonly amqp: AmqpConnection) {}

  /** Acks, publishes and confirms that one turn of the event loop makes leave in one write. */
  onModuleInit(): void {
    writeFramesPerTurn(this.amqp.managedConnection);
  }
}
