import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One HTTP attempt to reach a merchant (GET /admin/deliveries). Written before its request
 * goes out, with its outcome unknown (`delivered`, `duration_ms` NULL), and completed once
 * the answer (or the failure) is in. A process that dies in between leaves it unknown.
 */
@Entity('deliveries')
@Index('deliveries_order', ['orderId', 'attemptedAt'])
// Retention deletes the oldest first (HISTORY_RETENTION).
@Index('deliveries_attempted_at', ['attemptedAt'])
@Index('deliveries_endpoint', ['endpointId', 'attemptedAt'])
export class Delivery {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId: string;

  /** Null for an attempt that belongs to no order: a merchant's test `ping`. */
  @Column({ name: 'order_id', type: 'uuid', nullable: true })
  orderId: string | null;

  @Column({ type: 'int' })
  attempt: number;

  @Column({ type: 'text' })
  url: string;

  @Column({ name: 'http_status', type: 'int', nullable: true })
  httpStatus: number | null;

  @Column({ name: 'duration_ms', type: 'int', nullable: true })
  durationMs: number | null;

  /** NULL while the outcome is unknown: in flight, or its process died before it was recorded. */
  @Column({ type: 'boolean', nullable: true })
  delivered: boolean | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** The first 1 KiB of the merchant's answer. */
  @Column({ name: 'response_snippet', type: 'text', nullable: true })
  responseSnippet: string | null;

  @Column({ name: 'endpoint_id', type: 'uuid', nullable: true })
  endpointId: string | null;

  /** Part of the key: the log is partitioned by day of it (migrations/1795340000000-PartitionHistory.ts). */
  @PrimaryColumn({ name: 'attempted_at', type: 'timestamptz' })
  attemptedAt: Date;
}
