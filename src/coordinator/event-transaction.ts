import { createEnvelope, EventEnvelope, EventMap, RoutingKey } from '@backstop/transport';
import type { Queryable, Tx } from '../database/db';
import type { Bound, Statement } from '../database/sql';
import type { OutboxRepository } from './outbox.repository';

/**
 * A database transaction that can also emit events: each `emit` adds a READY outbox row,
 * committed with the state change that causes it; the coordinator publishes the envelopes
 * after commit, from memory. The rows are written with the COMMIT, in its round trip.
 * Repositories run their statements in it like on the database itself.
 */
export class EventTransaction implements Queryable {
  readonly emitted: EventEnvelope[] = [];
  /** Emitted and not written yet: they go in with the commit. */
  private readonly unwritten = new Set<EventEnvelope>();
  /** A PREPARE row this transaction settles: the next event emitted turns it READY. */
  private fulfilling?: string;
  /** What to do once the transaction has committed, before its events are published. */
  readonly committed: (() => void)[] = [];

  /**
   * @param writerLeaseMs how long the rows written here stay with this process, which
   *   publishes them after commit, before the relay may take them (0: the relay's at once).
   */
  constructor(
    private readonly tx: Tx,
    private readonly outbox: OutboxRepository,
    readonly writerLeaseMs: number,
  ) {}

  run<Row>(statement: Statement<Row>, values?: unknown[]): Promise<Row[]> {
    return this.tx.run(statement, values);
  }

  /** The rows `statement`, sent with BEGIN, answered. */
  answerTo<Row>(statement: Bound<Row>): Row[] {
    return this.tx.answerTo(statement);
  }

  /**
   * Sends `statement` with the commit, before the outbox rows, in the commit's round trip:
   * the rows it locks stay locked only while PostgreSQL runs it and commits. If it fails,
   * the transaction fails with it.
   */
  atCommit(statement: Bound): void {
    this.tx.atCommit(statement);
  }

  /** Runs `then` once this transaction has committed (never when it rolls back), before its events go out. */
  afterCommit(then: () => void): void {
    this.committed.push(then);
  }

  /**
   * Settles a PREPARE row (outside work that may owe an event): the next event this
   * transaction emits is written into it, turning it READY; if none is, the row is dropped.
   */
  fulfil(preparedId: string): void {
    this.fulfilling = preparedId;
  }

  async emit<K extends RoutingKey>(type: K, data: EventMap[K]): Promise<EventEnvelope<K>> {
    const prepared = this.fulfilling;
    this.fulfilling = undefined;
    if (prepared) {
      const envelope = { ...createEnvelope(type, data), id: prepared };
      if (await this.outbox.turnReady(prepared, envelope, this.writerLeaseMs, this.tx)) {
        this.emitted.push(envelope);
        return envelope;
      }
    }
    const envelope = createEnvelope(type, data);
    this.unwritten.add(envelope);
    this.emitted.push(envelope);
    return envelope;
  }

  /** Leaves with the commit what is still to write: the new outbox rows, and the PREPARE row no event went into. */
  close(): void {
    if (this.unwritten.size > 0) this.tx.atCommit(this.outbox.insertReady([...this.unwritten], this.writerLeaseMs));
    if (this.fulfilling) this.tx.atCommit(this.outbox.dropPreparedAtCommit(this.fulfilling));
  }
}
