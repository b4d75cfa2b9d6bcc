import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintAsNumber } from '../common/bigint-column';

/**
 * Money that arrived for an order that can no longer take it (e.g. paid after it was
 * cancelled for timeout): the order stays as it is and ops decide on a refund.
 */
@Entity('payment_incidents')
// An order's incidents, for its timeline.
@Index('payment_incidents_order', ['orderId', 'receivedAt'])
export class PaymentIncident {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'order_id', type: 'uuid' })
  orderId: string;

  @Column({ name: 'trade_no', type: 'text' })
  tradeNo: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  amount: number;

  /** The order's status when the payment arrived. */
  @Column({ name: 'order_status', type: 'text' })
  orderStatus: string;

  @Column({ type: 'text' })
  source: 'callback' | 'direct' | 'check-back';

  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;
}
