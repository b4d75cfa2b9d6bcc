import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * What an order took from stock. Its state makes release at most once per order (G2),
 * whichever message or re-run asks for it.
 */
@Entity('stock_reservations')
export class StockReservation {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId: string;

  @Column({ type: 'text' })
  state: 'RESERVED' | 'RELEASED';

  @Column({ type: 'jsonb' })
  items: { sku: string; quantity: number }[];

  @CreateDateColumn({ name: 'reserved_at', type: 'timestamptz' })
  reservedAt: Date;

  @Column({ name: 'released_at', type: 'timestamptz', nullable: true })
  releasedAt: Date | null;
}
