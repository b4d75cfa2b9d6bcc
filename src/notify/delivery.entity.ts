import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One HTTP attempt to reach a merchant, successful or not (GET /admin/deliveries). */
@Entity('deliveries')
@Index('deliveries_order', ['orderId', 'attemptedAt'])
// Retention deletes the oldest first (HISTORY_RETENTION).
@Index('deliveries_attempted_at', ['attemptedAt'])
export class Delivery {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId: string;

  @Column({ name: 'order_id', type: 'uuid' })
  orderId: string;

  @Column({ type: 'int' })
  attempt: number;

  @Column({ type: 'text' })
  url: string;

  @Column({ name: 'http_status', type: 'int', nullable: true })
  httpStatus: number | null;

  @Column({ name: 'duration_ms', type: 'int' })
  durationMs: number;

  @Column({ type: 'boolean' })
  delivered: boolean;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'attempted_at', type: 'timestamptz' })
  attemptedAt: Date;
}
