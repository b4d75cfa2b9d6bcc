import { AmqpConnection } from '@golevelup/nestjs-rabbitmq';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';

const REPEAT_AFTER_MS = 60_000;

/** Why the broker cannot be reached, in words that say what to fix. */
export function brokerFailureCause(error: (Error & { code?: string }) | undefined, url: string): string {
  const message = error?.message ?? 'unknown error';
  const target = describeUrl(url);
  // amqplib does not pass the broker's reason on, but a close in answer to connection.open
  // means the vhost: missing, or the user may not use it.
  if (/Expected ConnectionOpenOk; got <ConnectionClose/.test(message) || /vhost .* not found/i.test(message)) {
    return `${target.host} refused to open the vhost "${target.vhost}": it does not exist or the user may not use it ` +
      `(rabbitmqctl add_vhost ${target.vhost} && rabbitmqctl set_permissions -p ${target.vhost} <user> ".*" ".*" ".*"), or fix RABBITMQ_URL`;
  }
  if (/ACCESS[_-]REFUSED|403/i.test(message)) return `${target.host} refused the user or password of RABBITMQ_URL (${message})`;
  if (error?.code === 'ECONNREFUSED') return `nothing accepts connections at ${target.host}: is RabbitMQ running, and is RABBITMQ_URL right?`;
  if (error?.code === 'ENOTFOUND' || error?.code === 'EAI_AGAIN') return `the host of RABBITMQ_URL (${target.host}) does not resolve`;
  if (error?.code === 'ETIMEDOUT') return `${target.host} did not answer in time`;
  return `${message} (${target.host})`;
}

function describeUrl(url: string): { host: string; vhost: string } {
  try {
    const parsed = new URL(url);
    return { host: `${parsed.hostname}:${parsed.port || 5672}`, vhost: decodeURIComponent(parsed.pathname.slice(1)) || '/' };
  } catch {
    return { host: 'the broker', vhost: '/' };
  }
}

/**
 * Logs the broker connection's failures with their cause, once per cause (and again every
 * minute while it lasts), instead of golevelup's causeless "Connection Failed" every second.
 */
@Injectable()
export class BrokerConnectionLog implements OnModuleInit {
  private readonly logger = new Logger('Broker');
  private lastCause: string | undefined;
  private lastLoggedAt = 0;
  private failures = 0;

  constructor(private readonly amqp: AmqpConnection) {}

  onModuleInit(): void {
    const connection = this.amqp.managedConnection;
    connection.on('connectFailed', ({ err, url }: { err: Error; url: unknown }) => this.failed(brokerFailureCause(err, String(url)), 'cannot connect to RabbitMQ'));
    connection.on('disconnect', ({ err }: { err: Error }) => this.failed(err?.message ?? 'connection closed', 'lost the RabbitMQ connection'));
    connection.on('connect', () => {
      if (this.failures > 0) this.logger.log(`connected to RabbitMQ again after ${this.failures} failed attempt${this.failures === 1 ? '' : 's'}`);
      this.failures = 0;
      this.lastCause = undefined;
    });
  }

  private failed(cause: string, what: string): void {
    this.failures += 1;
    const now = Date.now();
    if (cause === this.lastCause && now - this.lastLoggedAt < REPEAT_AFTER_MS) return;
    this.lastCause = cause;
    this.lastLoggedAt = now;
    this.logger.warn(`${what}: ${cause}; retrying every second (${this.failures} failed so far)`);
  }
}
