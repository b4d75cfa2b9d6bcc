import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';
import { Statement } from '../../database/sql';
import type { SandboxCharge, SandboxScenario } from './sandbox-charge.entity';

/** What the sandbox remembers of one order: how to behave, and what it charged. */
export type SandboxChargeState = Pick<SandboxCharge, 'scenario' | 'status' | 'tradeNo'>;

const find = new Statement<SandboxChargeState>(
  'payment sandbox charge',
  `SELECT scenario, status, trade_no AS "tradeNo" FROM sandbox_charges WHERE order_id = $1`,
);

const setScenario = new Statement(
  'payment sandbox set scenario',
  `INSERT INTO sandbox_charges (order_id, scenario) VALUES ($1, $2)
   ON CONFLICT (order_id) DO UPDATE SET scenario = EXCLUDED.scenario`,
);

const recordDeclined = new Statement(
  'payment sandbox record declined',
  `INSERT INTO sandbox_charges (order_id, scenario, status) VALUES ($1, $2, 'DECLINED')
   ON CONFLICT (order_id) DO UPDATE SET scenario = EXCLUDED.scenario, status = EXCLUDED.status`,
);

const recordPaid = new Statement(
  'payment sandbox record paid',
  `INSERT INTO sandbox_charges (order_id, scenario, status, trade_no) VALUES ($1, $2, 'PAID', $3)
   ON CONFLICT (order_id) DO UPDATE SET scenario = EXCLUDED.scenario, status = EXCLUDED.status, trade_no = EXCLUDED.trade_no`,
);

/** The sandbox gateway's memory (`sandbox_charges`), so any process can check a charge back. */
@Injectable()
export class SandboxChargesRepository {
  constructor(private readonly db: Db) {}

  async find(orderId: string): Promise<SandboxChargeState | undefined> {
    return (await this.db.run(find, [orderId]))[0];
  }

  async setScenario(orderId: string, scenario: SandboxScenario): Promise<void> {
    await this.db.run(setScenario, [orderId, scenario]);
  }

  async recordDeclined(orderId: string, scenario: SandboxScenario): Promise<void> {
    await this.db.run(recordDeclined, [orderId, scenario]);
  }

  async recordPaid(orderId: string, scenario: SandboxScenario, tradeNo: string): Promise<void> {
    await this.db.run(recordPaid, [orderId, scenario, tradeNo]);
  }
}
