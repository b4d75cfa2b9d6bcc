import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** NOT_SUBSCRIBED: the merchant does not take this event type; it is recorded and never sent. */
export type NotificationState = 'PENDING' | 'DELIVERED' | 'FAILED' | 'NOT_SUBSCRIBED';

/**
 * One outcome to tell a merchant about. Its id is the event id and the `webhook-id`,
 * the same on every attempt; once DELIVERED it is never sent again.
 */
@Entity('notifications')
@Index('notifications_order', ['orderId', 'createdAt'])
// One notification per order and outcome, whatever events claim it.
@Index('notifications_order_outcome', ['orderId', 'eventType'], { unique: true })
// Retention deletes delivered notifications only, the oldest first (HISTORY_RETENTION).
@Index('notifications_delivered_at', ['deliveredAt'], { where: `state = 'DELIVERED'` })
export class Notification {
  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId: string;

  @Column({ name: 'order_id', type: 'uuid' })
  orderId: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType: string;

  @Column({ type: 'text' })
  state: NotificationState;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'last_attempt_at', type: 'timestamptz', nullable: true })
  lastAttemptAt: Date | null;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  /**
   * While set and in the future, one attempt is sending; no other may start until it is
   * over or the lease has run out (it outlasts a whole attempt).
   */
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
