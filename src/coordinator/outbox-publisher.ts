import { AmqpConnection } from '@golevelup/nestjs-rabbitmq';
import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, LessThanOrEqual } from 'typeorm';
import { ConfirmedChannel } from '../messaging/confirmed-channel';
import { ORDER_EVENTS_EXCHANGE } from '../messaging/topology';
import { TopologyReadiness } from '../messaging/topology-readiness';
import { OutboxMessage } from './outbox-message.entity';

export const RELAY_BATCH = 200;
const MAX_BACKOFF_MS = 60_000;

/**
 * Publishes READY outbox rows with publisher confirms and `mandatory`, and deletes a row
 * only once the broker has taken it and routed it somewhere. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED`, so the after-commit path and any number of relays never
 * publish the same row at once.
 */
@Injectable()
export class OutboxPublisher implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxPublisher.name);
  private channel: ConfirmedChannel;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly amqp: AmqpConnection,
    private readonly topology: TopologyReadiness,
  ) {}

  onModuleInit(): void {
    this.channel = new ConfirmedChannel(this.amqp.managedConnection, 'outbox-publisher', async (channel) => {
      await channel.assertExchange(ORDER_EVENTS_EXCHANGE, 'topic', { durable: true });
    });
  }

  /** Publishes under way finish before the database closes; the channel closes with the connection. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  /** Connected, and our handlers' queues are declared, so a routed message reached them. */
  get connected(): boolean {
    return this.topology.ready && this.amqp.managedConnection.isConnected();
  }

  /** After commit: try at once, in the background; whatever fails stays for the relay. */
  publishSoon(ids: string[]): void {
    if (!this.connected) return;
    const attempt = this.publishClaimed((manager) =>
      manager.find(OutboxMessage, {
        where: { id: In(ids), state: 'READY' },
        lock: { mode: 'pessimistic_write', onLocked: 'skip_locked' },
      }),
    ).then(
      () => undefined,
      (error: Error) => this.logger.warn(`publish after commit failed, the relay will retry: ${error.message}`),
    );
    this.inFlight.add(attempt);
    void attempt.finally(() => this.inFlight.delete(attempt));
  }

  /** One relay pass, oldest first; returns how many rows it claimed. */
  async relayOnce(): Promise<number> {
    if (!this.connected) return 0;
    return this.publishClaimed((manager) =>
      manager.find(OutboxMessage, {
        where: { state: 'READY', nextAttemptAt: LessThanOrEqual(new Date()) },
        order: { createdAt: 'ASC', id: 'ASC' },
        take: RELAY_BATCH,
        lock: { mode: 'pessimistic_write', onLocked: 'skip_locked' },
      }),
    );
  }

  /** Waits for every publish started so far (tests and shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private publishClaimed(claim: (manager: EntityManager) => Promise<OutboxMessage[]>): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const rows = await claim(manager);
      if (rows.length === 0) return 0;
      const outcomes = await Promise.allSettled(rows.map((row) => this.publish(row)));
      const published = rows.filter((_, index) => outcomes[index].status === 'fulfilled');
      if (published.length > 0) await manager.delete(OutboxMessage, { id: In(published.map((row) => row.id)) });
      for (const [index, outcome] of outcomes.entries()) {
        if (outcome.status === 'rejected') await this.postpone(manager, rows[index], outcome.reason as Error);
      }
      return rows.length;
    });
  }

  private publish(row: OutboxMessage): Promise<void> {
    const envelope = row.envelope!;
    return this.channel.publish(ORDER_EVENTS_EXCHANGE, row.routingKey!, Buffer.from(JSON.stringify(envelope)), {
      persistent: true,
      contentType: 'application/json',
      messageId: envelope.id,
      type: envelope.type,
      timestamp: Math.floor(Date.parse(envelope.occurredAt) / 1000),
    });
  }

  private async postpone(manager: EntityManager, row: OutboxMessage, error: Error): Promise<void> {
    const attempts = row.attempts + 1;
    const backoffMs = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(attempts, 10));
    this.logger.warn(`event ${row.id} (${row.routingKey}) not published, attempt ${attempts}: ${error.message}`);
    await manager.update(
      OutboxMessage,
      { id: row.id },
      { attempts, lastError: error.message, nextAttemptAt: new Date(Date.now() + backoffMs) },
    );
  }
}
