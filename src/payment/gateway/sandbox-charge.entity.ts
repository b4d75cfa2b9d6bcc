import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type SandboxScenario = 'PAY' | 'DECLINE' | 'HANG' | 'CHARGE_THEN_HANG';

/** The built-in sandbox gateway's memory: what it charged, and how a developer told it to behave. */
@Entity('sandbox_charges')
export class SandboxCharge {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId: string;

  @Column({ type: 'text', default: 'PAY' })
  scenario: SandboxScenario;

  /** Null until charged. */
  @Column({ type: 'text', nullable: true })
  status: 'PAID' | 'DECLINED' | null;

  @Column({ name: 'trade_no', type: 'text', nullable: true })
  tradeNo: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
