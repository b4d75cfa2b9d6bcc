import type { AttemptError } from '@backstop/transport';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type FailedMessageStatus = 'FAILED' | 'RETRYING' | 'RESOLVED' | 'DISCARDED';

/**
 * A message one handler could not process after its last attempt (or could not read at
 * all: poison). Kept with everything needed to re-run it on that handler alone.
 */
@Entity('failed_messages')
@Index('failed_messages_handler_message', ['handler', 'messageId'], { unique: true })
@Index('failed_messages_due', ['nextSweepAt'], { where: `status = 'FAILED' AND next_sweep_at IS NOT NULL` })
@Index('failed_messages_listing', ['firstFailedAt', 'id'])
// The listing filtered by status, and by status and handler, read backward a page at a time.
@Index('failed_messages_status_listing', ['status', 'firstFailedAt', 'id'])
@Index('failed_messages_status_handler_listing', ['status', 'handler', 'firstFailedAt', 'id'])
// What q= and orderId= look up; last_failed_at bounds the stats' failed runs to their window.
@Index('failed_messages_order', ['orderId'])
@Index('failed_messages_message', ['messageId'])
@Index('failed_messages_routing_key', ['routingKey'])
@Index('failed_messages_last_failed_at', ['lastFailedAt'])
// Retention deletes closed rows only, the oldest first (HISTORY_RETENTION).
@Index('failed_messages_closed', ['resolvedAt'], { where: `status IN ('RESOLVED', 'DISCARDED')` })
// Not described here, as TypeORM cannot (migrations/1795342000000-FailureGroupsAndSearch.ts):
// failed_messages_groups (status, failure_group, poison, last_failed_at DESC, id DESC) INCLUDE
// (first_failed_at), which failure groups are counted, sampled and acted on from, and the
// trigram indexes behind q= (message_id, order_id::text, the error's first line).
@Index('failed_messages_poison', ['status', 'handler'], { where: 'poison' })
// The sweeper's look for re-runs that never reported back.
@Index('failed_messages_rerun_expiry', ['rerunExpiresAt'], { where: `status = 'RETRYING'` })
export class FailedMessage {
  @PrimaryColumn('uuid')
  id: string;

  /** The handler's queue, which is also its name. */
  @Column({ type: 'text' })
  handler: string;

  @Column({ type: 'text' })
  queue: string;

  @Column({ name: 'message_id', type: 'text' })
  messageId: string;

  @Column({ name: 'routing_key', type: 'text', nullable: true })
  routingKey: string | null;

  /** The order the message is about, read from its payload when recorded (see orderIdOf); null when it names none. */
  @Column({ name: 'order_id', type: 'uuid', nullable: true })
  orderId: string | null;

  /** The body exactly as it arrived (poison may not be JSON). */
  @Column({ type: 'text' })
  payload: string;

  @Column({ type: 'jsonb' })
  headers: Record<string, unknown>;

  /** The last error, with a stack summary. */
  @Column({ type: 'text' })
  error: string;

  /** Every failed attempt, in order, including re-runs. */
  @Column({ type: 'jsonb' })
  errors: AttemptError[];

  @Column({ type: 'int' })
  attempts: number;

  @Column({ type: 'text' })
  status: FailedMessageStatus;

  @Column({ type: 'boolean', default: false })
  poison: boolean;

  @Column({ name: 'sweep_count', type: 'int', default: 0 })
  sweepCount: number;

  @Column({ name: 'first_failed_at', type: 'timestamptz' })
  firstFailedAt: Date;

  @Column({ name: 'last_failed_at', type: 'timestamptz' })
  lastFailedAt: Date;

  @Column({ name: 'next_sweep_at', type: 'timestamptz', nullable: true })
  nextSweepAt: Date | null;

  /** When the row was closed: RESOLVED by a re-run, or DISCARDED by ops. Retention counts from it. */
  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt: Date | null;

  @Column({ name: 'discard_reason', type: 'text', nullable: true })
  discardReason: string | null;

  /** The last error's kind and message with ids, numbers and URLs masked (see failure-group.ts). */
  @Column({ type: 'text', nullable: true })
  fingerprint: string | null;

  /** The origin the last failure was against, when the failure or its error names one. */
  @Column({ type: 'text', nullable: true })
  endpoint: string | null;

  /** The key of the failure group: handler, fingerprint and endpoint, hashed. Null only on rows written by hand. */
  @Column({ name: 'failure_group', type: 'text', nullable: true })
  failureGroup: string | null;

  /** While RETRYING: when the re-run's lease runs out; by then it has reported back, or the row is FAILED again. */
  @Column({ name: 'rerun_expires_at', type: 'timestamptz', nullable: true })
  rerunExpiresAt: Date | null;
}
