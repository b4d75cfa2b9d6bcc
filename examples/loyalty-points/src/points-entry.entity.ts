import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The points ledger: one entry per award. Nothing here stops a second entry for an order;
 * that an event awards once is the job of `once` and its `processed_messages` row.
 */
@Entity('points_entries')
@Index('points_entries_order', ['orderId'])
export class PointsEntry {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'order_id', type: 'uuid' })
  orderId: string;

  @Column({ name: 'trade_no', type: 'text' })
  tradeNo: string;

  @Column({ type: 'int' })
  points: number;

  @CreateDateColumn({ name: 'awarded_at', type: 'timestamptz' })
  awardedAt: Date;
}
