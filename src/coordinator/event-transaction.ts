import { createEnvelope, EventEnvelope, EventMap, RoutingKey } from '@backstop/transport';
import { EntityManager } from 'typeorm';
import { Statement } from '../database/statement';

const insertReady = new Statement(
  'insert outbox READY',
  `INSERT INTO outbox (id, state, routing_key, envelope, next_attempt_at)
   VALUES ($1, 'READY', $2, $3, now() + $4 * interval '1 millisecond')`,
);

const deleteReady = new Statement('delete outbox READY', `DELETE FROM outbox WHERE id = $1 AND state = 'READY'`);

/**
 * A database transaction that can also emit events: each `emit` writes a READY outbox
 * row with the state change that causes it; the coordinator publishes the envelopes
 * after commit, from memory.
 */
export class EventTransaction {
  readonly emitted: EventEnvelope[] = [];
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
    await insertReady.run(this.manager, [envelope.id, type, envelope, this.writerLeaseMs]);
    this.emitted.push(envelope);
    return envelope;
  }

  /** Takes back an event emitted earlier in this transaction: the outcome turned out otherwise. */
  async retract(envelope: EventEnvelope): Promise<void> {
    await deleteReady.run(this.manager, [envelope.id]);
    this.emitted.splice(this.emitted.indexOf(envelope), 1);
  }

  /** Drops a PREPARE row nothing was emitted into (the outcome needed no event). */
  async settle(): Promise<void> {
    if (!this.fulfilling) return;
    await this.manager.query(`DELETE FROM outbox WHERE id = $1 AND state = 'PREPARE'`, [this.fulfilling]);
    this.fulfilling = undefined;
  }
}
