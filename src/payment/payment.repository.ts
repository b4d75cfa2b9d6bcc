import { Injectable } from '@nestjs/common';
import { bigintAsNumber } from '../common/bigint-column';
import { Db, Queryable } from '../database/db';
import { Statement } from '../database/sql';
import type { PaymentIncident } from './payment-incident.entity';

/** Money that arrived for an order that could not take it, as a settle records it. */
export type NewPaymentIncident = Pick<PaymentIncident, 'orderId' | 'tradeNo' | 'amount' | 'orderStatus' | 'source'>;

const recordIncident = new Statement(
  'payment record incident',
  `INSERT INTO payment_incidents (order_id, trade_no, amount, order_status, source) VALUES ($1, $2, $3, $4, $5)`,
);

const countIncidents = new Statement<{ count: number }>('payment count incidents', `SELECT count(*)::int AS count FROM payment_incidents`);

const newestIncidents = new Statement<Omit<PaymentIncident, 'amount'> & { amount: string }>(
  'payment newest incidents',
  `SELECT id, order_id AS "orderId", trade_no AS "tradeNo", amount, order_status AS "orderStatus", source, received_at AS "receivedAt"
     FROM payment_incidents ORDER BY received_at DESC LIMIT $1`,
);

const incidentsOfOrder = new Statement<Omit<PaymentIncident, 'amount'> & { amount: string }>(
  'payment incidents of order',
  `SELECT id, order_id AS "orderId", trade_no AS "tradeNo", amount, order_status AS "orderStatus", source, received_at AS "receivedAt"
     FROM payment_incidents WHERE order_id = $1 ORDER BY received_at LIMIT $2`,
);

/** `payment_incidents`: payments ops must decide a refund for. */
@Injectable()
export class PaymentRepository {
  constructor(private readonly db: Db) {}

  /** In the settle's transaction when given one (`EventTransaction`): the incident commits with the order's outcome. */
  async recordIncident(incident: NewPaymentIncident, database: Queryable = this.db): Promise<void> {
    await database.run(recordIncident, [incident.orderId, incident.tradeNo, bigintAsNumber.to(incident.amount), incident.orderStatus, incident.source]);
  }

  async countIncidents(): Promise<number> {
    return (await this.db.run(countIncidents))[0].count;
  }

  /** Newest first. */
  async newestIncidents(limit: number): Promise<PaymentIncident[]> {
    return (await this.db.run(newestIncidents, [limit])).map((row) => ({ ...row, amount: bigintAsNumber.from(row.amount)! }));
  }

  /** The order's first `limit`, oldest first (payment_incidents_order). */
  async incidentsOfOrder(orderId: string, limit: number): Promise<PaymentIncident[]> {
    return (await this.db.run(incidentsOfOrder, [orderId, limit])).map((row) => ({ ...row, amount: bigintAsNumber.from(row.amount)! }));
  }
}
