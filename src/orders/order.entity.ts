import { Column, CreateDateColumn, Entity, Index, OneToMany, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { bigintAsNumber } from '../common/bigint-column';
import { OrderItem } from './order-item.entity';
import type { OrderStatus } from './order-state';

@Entity('orders')
@Index('orders_idempotency_key', ['idempotencyKey'], { unique: true, where: 'idempotency_key IS NOT NULL' })
export class Order {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'merchant_id', type: 'text' })
  merchantId: string;

  @Column({ type: 'text' })
  status: OrderStatus;

  @Column({ name: 'total_amount', type: 'bigint', transformer: bigintAsNumber })
  totalAmount: number;

  @Column({ type: 'text' })
  currency: string;

  @Column({ name: 'notify_url', type: 'text' })
  notifyUrl: string;

  /** Why the order was rejected or cancelled. */
  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ name: 'trade_no', type: 'text', nullable: true })
  tradeNo: string | null;

  @Column({ name: 'paid_at', type: 'timestamptz', nullable: true })
  paidAt: Date | null;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey: string | null;

  /** A hash of the request that created the order, to tell a replay from a conflicting reuse of its key. */
  @Column({ name: 'request_fingerprint', type: 'text', nullable: true })
  requestFingerprint: string | null;

  @OneToMany(() => OrderItem, (item) => item.order, { cascade: ['insert'] })
  items: OrderItem[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
