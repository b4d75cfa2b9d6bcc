import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An ops alert: one change of state, sent to OPS_WEBHOOK_URL once (migrations/1795345000000-OpsAlerts.ts).
 * A condition (`message.failed`, `failures.spike`, `outbox.stalled`) is `open` from when it
 * began until it is over; a one-off change (an endpoint disabled, the outbox recovered) never is.
 */
@Entity('ops_alerts')
@Index('ops_alerts_state_change', ['kind', 'subject', 'episode'], { unique: true })
@Index('ops_alerts_open', ['kind', 'subject'], { unique: true, where: 'open' })
@Index('ops_alerts_raised_at', ['raisedAt'])
export class OpsAlert {
  /** Also the `webhook-id` of every attempt to send it. */
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  kind: string;

  /** What it is about: an endpoint's id, a failure group's key, `outbox`. */
  @Column({ type: 'text' })
  subject: string;

  /** Which change of the subject: the attempt that disabled an endpoint, the time a circuit opened or a condition began. */
  @Column({ type: 'text' })
  episode: string;

  /** The webhook's `data`. */
  @Column({ type: 'jsonb' })
  details: Record<string, unknown>;

  @Column({ type: 'boolean', default: false })
  open: boolean;

  @Column({ name: 'raised_at', type: 'timestamptz', default: () => 'now()' })
  raisedAt: Date;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt: Date | null;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  /** While an attempt to send it is under way: no second attempt goes out beside it. */
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil: Date | null;

  @Column({ type: 'int', default: 0 })
  attempts: number;
}
