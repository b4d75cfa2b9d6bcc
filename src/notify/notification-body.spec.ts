import { randomUUID } from 'node:crypto';
import type { OrderOutcome } from '../orders/order-facts';
import { contradictionOf, notificationBody, OutcomeEvent } from './notification-body';

const paidAt = new Date('2026-12-05T10:00:00.123Z');
const order: OrderOutcome = {
  id: randomUUID(),
  merchantId: 'm-1',
  status: 'PAID',
  totalAmount: 1200,
  currency: 'CNY',
  notifyUrl: 'https://merchant.example/notify',
  tradeNo: 'T-1',
  paidAt,
  reason: null,
};
const paid = (data: Partial<OutcomeEvent['data']> = {}): OutcomeEvent =>
  ({
    id: randomUUID(),
    type: 'order.paid',
    occurredAt: paidAt.toISOString(),
    data: { orderId: order.id, tradeNo: 'T-1', amount: 1200, currency: 'CNY', paidAt: paidAt.toISOString(), ...data },
  }) as OutcomeEvent;

describe('an outcome event held against its order', () => {
  it('agrees when every fact is the order’s', () => {
    expect(contradictionOf(paid(), order)).toBeUndefined();
  });

  it.each([
    ['another trade number', { tradeNo: 'FORGED' }, /paid with trade T-1, not FORGED/],
    ['another amount', { amount: 1201 }, /is 1200 CNY, not 1201 CNY/],
    ['another currency', { currency: 'USD' }, /is 1200 CNY, not 1200 USD/],
    ['another time', { paidAt: new Date(0).toISOString() }, /was not paid at 1970/],
  ])('contradicts it with %s', (_, data, message) => {
    expect(contradictionOf(paid(data), order)).toMatch(message);
  });

  it('contradicts it when the order is not in the state the event says', () => {
    expect(contradictionOf(paid(), { ...order, status: 'CANCELLED' })).toMatch(/is CANCELLED, not PAID/);
  });

  it('holds a rejection or a cancellation to the order’s reason', () => {
    const cancelled = { ...order, status: 'CANCELLED' as const, tradeNo: null, paidAt: null, reason: 'unpaid: payment timeout' };
    const event = (reason: string) => ({ id: randomUUID(), type: 'order.cancelled', occurredAt: '', data: { orderId: order.id, reason } }) as OutcomeEvent;
    expect(contradictionOf(event('unpaid: payment timeout'), cancelled)).toBeUndefined();
    expect(contradictionOf(event('forged'), cancelled)).toMatch(/ended for "unpaid: payment timeout", not "forged"/);
  });
});

describe('a notification body', () => {
  it('tells the order’s own facts under the notification’s id', () => {
    const id = randomUUID();
    expect(notificationBody(id, 'order.paid', order)).toEqual({
      id,
      type: 'order.paid',
      orderId: order.id,
      merchantId: 'm-1',
      status: 'PAID',
      totalAmount: 1200,
      currency: 'CNY',
      tradeNo: 'T-1',
      paidAt: paidAt.toISOString(),
    });
    const rejected = notificationBody(id, 'order.rejected', { ...order, status: 'REJECTED', tradeNo: null, paidAt: null, reason: 'not enough stock' });
    expect(rejected).toMatchObject({ status: 'REJECTED', reason: 'not enough stock' });
    expect(rejected).not.toHaveProperty('tradeNo');
  });
});
