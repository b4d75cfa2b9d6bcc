import { Injectable } from '@nestjs/common';
import type { PaymentIncident } from './payment-incident.entity';
import { PaymentRepository } from './payment.repository';

/** Payments that arrived for orders that could not take them, as ops read them. */
@Injectable()
export class PaymentIncidents {
  constructor(private readonly payments: PaymentRepository) {}

  count(): Promise<number> {
    return this.payments.countIncidents();
  }

  /** Newest first. */
  newest(limit: number): Promise<PaymentIncident[]> {
    return this.payments.newestIncidents(limit);
  }

  /** Those of one order, oldest first. */
  ofOrder(orderId: string, limit = 100): Promise<PaymentIncident[]> {
    return this.payments.incidentsOfOrder(orderId, limit);
  }
}
