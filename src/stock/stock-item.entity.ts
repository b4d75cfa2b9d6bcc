import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { bigintAsNumber } from '../common/bigint-column';

@Entity('stock')
export class StockItem {
  @PrimaryColumn({ type: 'text' })
  sku: string;

  @Column({ type: 'int' })
  available: number;

  /** Minor units (4242 = 42.42). */
  @Column({ name: 'unit_price', type: 'bigint', transformer: bigintAsNumber })
  unitPrice: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
