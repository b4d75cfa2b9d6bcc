import { createEnvelope, EventEnvelope, EventMap, RoutingKey } from '@backstop/transport';
import { escapeLiteral } from 'pg';
import { EntityManager } from 'typeorm';
import { Statement } from '../database/statement';

const deleteReady = new Statement('delete outbox READY', `DELETE FROM outbox WHERE id = $1 AND state = 'READY'`);

/**
 * A database transaction that can also emit events: each `emit` adds a READY outbox row to
 * the transaction, committed with the state change that causes it; the coordinator
 * publishes the envelopes after commit, from memory.
 *
 * The rows are written by the transaction's last round trip, as one simple query that also
 * commits (`closingSql`): they are part of the same transaction either way, and on every
 * order's four transactions this saves four round trips, each a socket write and read in
 * both processes.
 */
export class EventTransaction {
  readonly emitted: EventEnvelope[] = [];
  /** Emitted and not written yet: they go in with the commit. */
  private readonly unwritten = new Set<EventEnvelope>();
  /** A PREPARE row this transaction settles: the next event emitted turns it READY. */
  private fulfilling?: string;

  /**
   * @param writerLeaseMs how long the rows written here stay with this process, which
   *   publishes them after commit, before the relay may take them (0: the relay's at once).
   */
  constructor(
    readonly manager: EntityManager,
    readonly writerLeaseMs: number,
  ) {}

  /**
   * Settles a PREPARE row (SPEC §7): the next event this transaction emits is written
   * into it, turning it READY; if none is emitted, the row is dropped at commit.
   */
  fulfil(preparedId: string): void {
    this.fulfilling = preparedId;
  }

  async emit<K extends RoutingKey>(type: K, data: EventMap[K]): Promise<EventEnvelope<K>> {
    const prepared = this.fulfilling;
    this.fulfilling = undefined;
    if (prepared) {
      const envelope = { ...createEnvelope(type, data), id: prepared };
      // TypeORM answers an UPDATE with [rows, rowCount].
      const [turned]: [unknown[], number] = await this.manager.query(
        `UPDATE outbox SET state = 'READY', routing_key = $2, envelope = $3, attempts = 0,
                next_attempt_at = now() + $4 * interval '1 millisecond'
          WHERE id = $1 AND state = 'PREPARE' RETURNING id`,
        [prepared, type, envelope, this.writerLeaseMs],
      );
      if (turned.length > 0) {
        this.emitted.push(envelope);
        return envelope;
      }
    }
    const envelope = createEnvelope(type, data);
    this.unwritten.add(envelope);
    this.emitted.push(envelope);
    return envelope;
  }

  /** Takes back an event emitted earlier in this transaction: the outcome turned out otherwise. */
  async retract(envelope: EventEnvelope): Promise<void> {
    if (!this.unwritten.delete(envelope)) await deleteReady.run(this.manager, [envelope.id]);
    this.emitted.splice(this.emitted.indexOf(envelope), 1);
  }

  /**
   * The statements that end the transaction, as one simple query: the outbox rows emitted,
   * the PREPARE row nothing was emitted into (the outcome needed no event) dropped, and
   * COMMIT. A simple query takes no parameters, so the values are quoted with pg's own
   * `escapeLiteral`; every one is a string or a whole number this process made.
   */
  closingSql(): string {
    const statements: string[] = [];
    if (this.unwritten.size > 0) statements.push(outboxInsertSql([...this.unwritten], this.writerLeaseMs));
    if (this.fulfilling) statements.push(`DELETE FROM outbox WHERE id = ${escapeLiteral(this.fulfilling)}::uuid AND state = 'PREPARE'`);
    statements.push('COMMIT');
    return statements.join('; ');
  }
}

/**
 * READY outbox rows for `envelopes` as one INSERT with its values quoted in (for a simple
 * query, which takes no parameters), each kept for its writer for `writerLeaseMs`.
 */
export function outboxInsertSql(envelopes: EventEnvelope[], writerLeaseMs: number): string {
  const lease = `now() + ${Math.trunc(writerLeaseMs)} * interval '1 millisecond'`;
  const rows = envelopes.map(
    (envelope) => `(${escapeLiteral(envelope.id)}::uuid, 'READY', ${escapeLiteral(envelope.type)}, ${escapeLiteral(JSON.stringify(envelope))}::jsonb, ${lease})`,
  );
  return `INSERT INTO outbox (id, state, routing_key, envelope, next_attempt_at) VALUES ${rows.join(', ')}`;
}
