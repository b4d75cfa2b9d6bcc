import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { ChargeAnswer, PaymentGateway, QueryAnswer } from './gateway';
import type { SandboxScenario } from './sandbox-charge.entity';
import { SandboxChargesRepository } from './sandbox-charges.repository';

/** Longer than any sensible PAYMENT_GATEWAY_TIMEOUT: a hanging sandbox is never answered in time. */
const HANG_MS = 10 * 60_000;

/**
 * The gateway the platform brings along when PAYMENT_GATEWAY_URL is unset, so the quick
 * start can pay. Its state is in the database, so any process can check a charge back.
 * A developer picks what it does per order with PUT /sandbox/gateway/scenarios/:orderId.
 */
@Injectable()
export class SandboxGateway extends PaymentGateway {
  constructor(private readonly charges: SandboxChargesRepository) {
    super();
  }

  async setScenario(orderId: string, scenario: SandboxScenario): Promise<void> {
    await this.charges.setScenario(orderId, scenario);
  }

  async charge(orderId: string, _amount: number, _currency: string): Promise<ChargeAnswer> {
    const existing = await this.charges.find(orderId);
    const scenario = existing?.scenario ?? 'PAY';
    if (existing?.status === 'PAID') return { status: 'PAID', tradeNo: existing.tradeNo! };
    if (scenario === 'HANG') await delay(HANG_MS, undefined, { ref: false });
    if (scenario === 'DECLINE') {
      await this.charges.recordDeclined(orderId, scenario);
      return { status: 'DECLINED', reason: 'declined by the sandbox' };
    }
    const tradeNo = `SBX${Date.now()}${randomBytes(3).toString('hex')}`;
    await this.charges.recordPaid(orderId, scenario, tradeNo);
    if (scenario === 'CHARGE_THEN_HANG') await delay(HANG_MS, undefined, { ref: false });
    return { status: 'PAID', tradeNo };
  }

  async query(orderId: string): Promise<QueryAnswer> {
    const charge = await this.charges.find(orderId);
    if (!charge?.status) return { status: 'NOT_FOUND' };
    return charge.status === 'PAID' ? { status: 'PAID', tradeNo: charge.tradeNo! } : { status: 'DECLINED' };
  }
}
