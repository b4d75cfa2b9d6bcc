import type { EventEnvelope, RoutingKey } from '@backstop/transport';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type OutboxState = 'PREPARE' | 'READY';

/**
 * One event on its way to `order.events` (READY), or a promise of one whose outcome
 * lives outside our database (PREPARE, checked back by `checkBackId`). The row id is
 * the envelope id, which is also the AMQP messageId.
 */
@Entity('outbox')
// The relay's claim walks this in order and stops at its batch (claimDueReady); the oldest row's age reads its first entry.
// `next_attempt_at` has no index of its own: the planner took one on it, with statistics older
// than a backlog, to read every due row and sort them; and unindexed, the lease a claim writes
// there is a HOT update that adds no index entry.
@Index('outbox_created_at', ['createdAt', 'id'])
@Index('outbox_state_attempts', ['state', 'attempts'])
@Index('outbox_prepare_check_back', ['kind', 'checkBackId'], { unique: true, where: `state = 'PREPARE'` })
export class OutboxMessage {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  state: OutboxState;

  @Column({ name: 'routing_key', type: 'text', nullable: true })
  routingKey: RoutingKey | null;

  @Column({ type: 'jsonb', nullable: true })
  envelope: EventEnvelope | null;

  /** What a PREPARE row waits on (e.g. `payment`), and the id to ask the outside about. */
  @Column({ type: 'text', nullable: true })
  kind: string | null;

  @Column({ name: 'check_back_id', type: 'text', nullable: true })
  checkBackId: string | null;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt: Date;
}
