import { Logger } from '@nestjs/common';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { Channel } from 'amqplib';

// amqplib's protocol tables (untyped): they name the method a channel error answers.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { info } = require('amqplib/lib/defs') as { info(id: number): { name?: string } };

/** Waits before reconnecting to retry what the broker refused; longer while it keeps refusing. */
const REOPEN_AFTER_MS = [1_000, 2_000, 5_000, 10_000];
const REPEAT_LOG_AFTER_MS = 60_000;

type ChannelError = Error & { code?: number; classId?: number; methodId?: number };

/** What a channel error means, in words that say what to fix. */
export function describeChannelError(error: ChannelError, vhost: string): string {
  const operation = error.classId && error.methodId ? operationName(error.classId, error.methodId) : undefined;
  const refused = operation ? `the broker refused ${operation} on vhost "${vhost}"` : `a channel on vhost "${vhost}" failed`;
  const reason = /with message "([^"]*)"/.exec(error.message)?.[1] ?? error.message;
  if (error.code === 403) {
    return `${refused}: ${reason} — grant the user configure, write and read permissions on it (rabbitmqctl set_permissions -p ${vhost} <user> ".*" ".*" ".*")`;
  }
  return `${refused}: ${reason}`;
}

function operationName(classId: number, methodId: number): string | undefined {
  try {
    return info((classId << 16) | methodId).name;
  } catch {
    return undefined;
  }
}

function vhostOf(url: unknown): string {
  if (typeof url === 'object' && url !== null) return String((url as { vhost?: string }).vhost ?? '/');
  try {
    return decodeURIComponent(new URL(String(url)).pathname.slice(1)) || '/';
  } catch {
    return '/';
  }
}

/**
 * Keeps broker errors on a connection's channels from killing the process and retries what
 * the broker refused. An `'error'` event with no listener throws: amqplib emits one on a
 * channel the broker closes (a 403 on a declare or a publish), amqp-connection-manager one
 * on a setup that failed. Such a channel stays closed until the connection reconnects, so
 * the guard reconnects, with a growing pause, until every guarded channel has set up again.
 * One guard per connection, shared by everything on it (`ChannelGuard.of`).
 */
export class ChannelGuard {
  private static readonly guards = new WeakMap<AmqpConnectionManager, ChannelGuard>();
  private readonly logger = new Logger('Broker');
  /** By channel: what failed, and whether the broker itself said why (a close with its reply code). */
  private readonly refusals = new Map<string, { cause: string; fromBroker: boolean }>();
  private readonly loggedAt = new Map<string, number>();
  private reopenTimer?: NodeJS.Timeout;
  private failedReopens = 0;
  private vhost = '/';

  static of(connection: AmqpConnectionManager): ChannelGuard {
    let guard = ChannelGuard.guards.get(connection);
    if (!guard) {
      guard = new ChannelGuard(connection);
      ChannelGuard.guards.set(connection, guard);
    }
    return guard;
  }

  private constructor(private readonly connection: AmqpConnectionManager) {
    connection.on('connect', ({ url }: { url: unknown }) => (this.vhost = vhostOf(url)));
    connection.on('close', () => clearTimeout(this.reopenTimer));
  }

  /**
   * What the broker refuses at the moment, in words that say what to fix; undefined when
   * nothing. A refusal the broker explained (a 403 and the operation) comes before a channel
   * that only ended with it, whichever failed first.
   */
  get refusal(): string | undefined {
    const refusals = [...this.refusals.values()];
    return (refusals.find((refusal) => refusal.fromBroker) ?? refusals[0])?.cause;
  }

  /** Listens for the errors of a channel wrapper and of every amqplib channel it opens. */
  watch(wrapper: ChannelWrapper, name: string): void {
    wrapper.on('error', (error: ChannelError) => this.failed(name, error));
    wrapper.on('connect', () => this.recovered(name));
    void wrapper.addSetup((channel: Channel) => {
      channel.on('error', (error: ChannelError) => this.failed(name, error));
    }).catch(() => undefined);
  }

  /** For errors of a channel the caller opened itself (its setup then sees the amqplib channel). */
  failed(name: string, error: ChannelError): void {
    // A channel closing with its connection is the connection's business (logged where it is handled).
    if (error.name === 'IllegalOperationError' || !this.connection.isConnected()) return;
    const cause = describeChannelError(error, this.vhost);
    const fromBroker = error.code !== undefined;
    // The broker's own close (a 403 naming the operation) comes first; the "Channel ended" of
    // the setups it cut short follows on the same channel, and must not hide it.
    if (fromBroker || !this.refusals.get(name)?.fromBroker) this.refusals.set(name, { cause, fromBroker });
    const now = Date.now();
    if (now - (this.loggedAt.get(cause) ?? 0) >= REPEAT_LOG_AFTER_MS) {
      this.loggedAt.set(cause, now);
      this.logger.error(`${cause}; channel ${name} retries after a reconnect`);
    }
    this.scheduleReopen();
  }

  private recovered(name: string): void {
    if (!this.refusals.delete(name)) return;
    if (this.refusals.size === 0) {
      this.failedReopens = 0;
      this.loggedAt.clear();
      this.logger.log('the broker accepts every channel again');
    }
  }

  private scheduleReopen(): void {
    if (this.reopenTimer) return;
    const delayMs = REOPEN_AFTER_MS[Math.min(this.failedReopens, REOPEN_AFTER_MS.length - 1)];
    this.failedReopens += 1;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      if (this.refusals.size === 0 || !this.connection.isConnected()) return;
      try {
        this.connection.reconnect();
      } catch {
        // Closed meanwhile: the process is stopping.
      }
    }, delayMs);
    this.reopenTimer.unref();
  }
}
