import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A message a handler gave up on within the last OPS_SPIKE_WINDOW: what failure spikes are counted from. */
@Entity('ops_alert_failures')
@Index('ops_alert_failures_failed_at', ['failedAt'])
export class OpsAlertFailure {
  @PrimaryColumn({ type: 'text' })
  handler: string;

  @PrimaryColumn({ name: 'message_id', type: 'text' })
  messageId: string;

  /** Its failure group's key (compensation's failure groups: handler, error fingerprint, endpoint). */
  @Column({ name: 'failure_group', type: 'text' })
  failureGroup: string;

  @Column({ type: 'text' })
  fingerprint: string;

  @Column({ type: 'text', nullable: true })
  endpoint: string | null;

  /** The error's first line. */
  @Column({ type: 'text' })
  error: string;

  @Column({ name: 'failed_at', type: 'timestamptz', default: () => 'now()' })
  failedAt: Date;
}
