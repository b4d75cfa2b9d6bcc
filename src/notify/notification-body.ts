import type { EventOf } from '@backstop/transport';
import type { OrderOutcome } from '../orders/order-facts';

export type OutcomeEvent = EventOf<'order.paid' | 'order.rejected' | 'order.cancelled'>;
export type OutcomeType = OutcomeEvent['type'];

export const STATUS_OF = { 'order.paid': 'PAID', 'order.rejected': 'REJECTED', 'order.cancelled': 'CANCELLED' } as const;

/** What a merchant is POSTed about an order's outcome (its OpenAPI `webhooks` entry documents it). */
export interface NotificationBody {
  id: string;
  type: OutcomeType;
  orderId: string;
  merchantId: string;
  status: (typeof STATUS_OF)[OutcomeType];
  totalAmount: number;
  currency: string;
  tradeNo?: string;
  paidAt?: string;
  reason?: string;
}

/**
 * Where an outcome event contradicts the order it names, in words; undefined when it agrees.
 * An event is a claim and the order is the truth: a forged `order.paid` with another trade
 * number, amount or time must not reach a merchant, signed by us.
 */
export function contradictionOf(event: OutcomeEvent, order: OrderOutcome): string | undefined {
  const status = STATUS_OF[event.type];
  if (order.status !== status) return `order ${order.id} is ${order.status}, not ${status}`;
  if (event.type === 'order.paid') {
    const { tradeNo, amount, currency, paidAt } = event.data;
    if (tradeNo !== order.tradeNo) return `order ${order.id} was paid with trade ${order.tradeNo}, not ${tradeNo}`;
    if (amount !== order.totalAmount || currency !== order.currency) {
      return `order ${order.id} is ${order.totalAmount} ${order.currency}, not ${amount} ${currency}`;
    }
    if (order.paidAt === null || Date.parse(paidAt) !== order.paidAt.getTime()) return `order ${order.id} was not paid at ${paidAt}`;
    return undefined;
  }
  if ((event.data.reason ?? null) !== order.reason) return `order ${order.id} ended for "${order.reason}", not "${event.data.reason}"`;
  return undefined;
}

/** The notification of an outcome, told from the order's own record (which the event was checked against). */
export function notificationBody(webhookId: string, type: OutcomeType, order: OrderOutcome): NotificationBody {
  return {
    id: webhookId,
    type,
    orderId: order.id,
    merchantId: order.merchantId,
    status: STATUS_OF[type],
    totalAmount: order.totalAmount,
    currency: order.currency,
    ...(type === 'order.paid' ? { tradeNo: order.tradeNo!, paidAt: order.paidAt!.toISOString() } : {}),
    ...(type !== 'order.paid' && order.reason ? { reason: order.reason } : {}),
  };
}

/** A merchant's test event: signed and sent like a notification, about no order. */
export function pingBody(id: string, merchantId: string, occurredAt: Date) {
  return { id, type: 'ping' as const, occurredAt: occurredAt.toISOString(), data: { merchantId } };
}
