import { ChannelGuard } from '@backstop/transport';
import { AmqpConnection } from '@golevelup/nestjs-rabbitmq';
import { Injectable, OnModuleInit } from '@nestjs/common';

/**
 * Guards golevelup's channels as ConfirmedChannel guards its own (see ChannelGuard): a
 * channel the broker closes (a 403 on a declare) logs what to fix and is retried after a
 * reconnect, instead of an unhandled 'error' that kills the process.
 */
@Injectable()
export class BrokerChannels implements OnModuleInit {
  constructor(private readonly amqp: AmqpConnection) {}

  onModuleInit(): void {
    const guard = ChannelGuard.of(this.amqp.managedConnection);
    for (const [name, channel] of Object.entries(this.amqp.managedChannels)) guard.watch(channel, name);
  }

  /** What the broker refuses at the moment (readiness names it); undefined when nothing. */
  get refusal(): string | undefined {
    return ChannelGuard.of(this.amqp.managedConnection).refusal;
  }
}
