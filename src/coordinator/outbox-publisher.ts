import { ConfirmedChannel, type EventEnvelope, ORDER_EVENTS_EXCHANGE } from '@backstop/transport';
import { PUBLISH_LEASE_MS } from '../messaging/publish-lease';
import { AmqpConnection } from '@golevelup/nestjs-rabbitmq';
import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { TopologyReadiness } from '../messaging/topology-readiness';
import { OutboxDeletes } from './outbox-deletes';
import { publishRetryMs } from './publish-retry';
import { ClaimPosition, OutboxRepository } from './outbox.repository';

export const RELAY_BATCH = 200;
/** Past this many events awaiting confirms, new ones are left to the relay rather than pile up in memory. */
const MAX_IN_FLIGHT = 2_000;

/**
 * Publishes READY outbox rows with publisher confirms and `mandatory`; a row is deleted
 * only once the broker has stored it in a queue. The writer publishes its own events from
 * memory right after commit, inside the lease its rows were written with; the relay claims
 * only rows whose lease has run out. No database connection waits on the broker.
 */
@Injectable()
export class OutboxPublisher implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxPublisher.name);
  private channel: ConfirmedChannel;
  private readonly deletes: OutboxDeletes;
  private readonly inFlight = new Set<Promise<void>>();
  private inFlightEvents = 0;
  /** The broker is refusing publishes (memory or disk alarm): confirms would not come. */
  private blocked = false;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly amqp: AmqpConnection,
    private readonly topology: TopologyReadiness,
  ) {
    this.deletes = new OutboxDeletes(outbox, this.logger);
  }

  onModuleInit(): void {
    this.channel = new ConfirmedChannel(this.amqp.managedConnection, 'outbox-publisher', async (channel) => {
      await channel.assertExchange(ORDER_EVENTS_EXCHANGE, 'topic', { durable: true });
    });
    const connection = this.amqp.managedConnection;
    connection.on('blocked', ({ reason }: { reason: string }) => {
      this.blocked = true;
      this.logger.warn(`the broker blocks publishers (${reason}); events wait in the outbox`);
    });
    connection.on('unblocked', () => (this.blocked = false));
    connection.on('disconnect', () => (this.blocked = false));
  }

  /** Publishes under way finish, and their rows are deleted, before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  /** Connected, not blocked, and our handlers' queues are declared, so a routed message reached them. */
  get connected(): boolean {
    return this.topology.ready && this.amqp.managedConnection.isConnected() && !this.blocked;
  }

  /**
   * How long rows written now stay with their writer before the relay may take them:
   * nothing when this process will not publish them itself, so the relay sends them as
   * soon as the broker is back.
   */
  get writerLeaseMs(): number {
    return this.connected && this.inFlightEvents < MAX_IN_FLIGHT ? PUBLISH_LEASE_MS : 0;
  }

  /** After commit, from the envelopes the transaction has in memory; what fails is postponed for the relay. */
  publishSoon(envelopes: EventEnvelope[]): void {
    this.track(this.publishAll(envelopes.map((envelope) => ({ envelope, attempts: 0 }))), envelopes.length);
  }

  /**
   * One relay batch: claims rows whose lease has run out, oldest first (after `after`, where
   * the round's previous batch ended), and starts publishing them; answers how many it
   * claimed, the last of them, and when their confirms are in (the relay claims the next
   * batch meanwhile).
   */
  async relayOnce(after?: ClaimPosition): Promise<{ claimed: number; last?: ClaimPosition; published: Promise<void> }> {
    if (!this.connected) return { claimed: 0, published: Promise.resolve() };
    const rows = await this.outbox.claimDueReady(PUBLISH_LEASE_MS, RELAY_BATCH, after);
    rows.sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id));
    const published = this.publishAll(rows);
    this.track(published, rows.length);
    const last = rows.at(-1);
    return { claimed: rows.length, last: last && { createdAt: last.created_at, id: last.id }, published };
  }

  /** Waits for every publish started so far and the deletes that follow (tests and shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await this.deletes.flush();
  }

  private track(publishing: Promise<void>, events: number): void {
    this.inFlight.add(publishing);
    this.inFlightEvents += events;
    void publishing.finally(() => {
      this.inFlight.delete(publishing);
      this.inFlightEvents -= events;
    });
  }

  private async publishAll(rows: { envelope: EventEnvelope; attempts: number }[]): Promise<void> {
    const outcomes = await Promise.allSettled(rows.map(({ envelope }) => this.publish(envelope)));
    const postponed: Promise<void>[] = [];
    outcomes.forEach((outcome, index) => {
      const { envelope, attempts } = rows[index];
      if (outcome.status === 'fulfilled') this.deletes.add(envelope.id);
      else postponed.push(this.postpone(envelope, attempts + 1, outcome.reason as Error));
    });
    await Promise.all(postponed);
  }

  private publish(envelope: EventEnvelope): Promise<void> {
    return this.channel.publish(ORDER_EVENTS_EXCHANGE, envelope.type, Buffer.from(JSON.stringify(envelope)), {
      persistent: true,
      contentType: 'application/json',
      messageId: envelope.id,
      type: envelope.type,
      timestamp: Math.floor(Date.parse(envelope.occurredAt) / 1000),
    });
  }

  /** Records the failure; the row comes due for the relay after a backoff (`publishRetryMs`). */
  private async postpone(envelope: EventEnvelope, attempts: number, error: Error): Promise<void> {
    this.logger.warn(`event ${envelope.id} (${envelope.type}) not published, attempt ${attempts}: ${error.message}`);
    try {
      await this.outbox.postpone(envelope.id, publishRetryMs(error, attempts), { attempts, error: error.message });
    } catch (recordError) {
      // The row keeps its lease and comes due when it runs out: nothing is lost.
      this.logger.warn(`cannot record the failed publish of ${envelope.id}: ${(recordError as Error).message}`);
    }
  }
}
