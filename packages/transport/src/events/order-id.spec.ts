import { randomUUID } from 'node:crypto';
import { createEnvelope } from './envelope';
import { orderIdOf } from './order-id';

describe('orderIdOf', () => {
  const orderId = randomUUID();
  const created = createEnvelope('order.created', {
    id: orderId,
    orderId,
    merchantId: 'M1',
    status: 'PENDING',
    items: [{ sku: 'A', quantity: 1 }],
    totalAmount: 500,
    currency: 'CNY',
    notifyUrl: 'https://merchant.example/notify',
    createdAt: new Date().toISOString(),
  });
  const paid = createEnvelope('order.paid', { orderId, tradeNo: 'T1', amount: 500, currency: 'CNY', paidAt: new Date().toISOString() });
  const reserved = createEnvelope('stock.reserved', { orderId, items: [{ sku: 'A', quantity: 1 }] });

  it.each([
    ['order.created: data.orderId', created],
    ['order.created written before it carried orderId: data.id', { ...created, data: { ...created.data, orderId: undefined } }],
    ['the data of order.created alone', created.data],
    ['order.paid: data.orderId', paid],
    ['stock.reserved: data.orderId', reserved],
    ['an envelope as JSON text', JSON.stringify(paid)],
    ['an envelope as bytes', Buffer.from(JSON.stringify(created))],
    ['the data of an event', paid.data],
    ['an envelope whose text is cut short', JSON.stringify(paid).slice(0, -20)],
    ['an order.created whose text is cut short', JSON.stringify(created).slice(0, -20)],
  ])('reads %s', (_, source) => {
    expect(orderIdOf(source)).toBe(orderId);
  });

  it.each([
    ['text that is not JSON', 'not an envelope'],
    ['empty bytes', Buffer.alloc(0)],
    ['null', null],
    ['a number', 42],
    ['an array', [paid]],
    ['an event without an order', { type: 'order.paid', data: { tradeNo: 'T1' } }],
    ['an order id that is not a UUID', { type: 'order.paid', data: { orderId: 'abc' } }],
    ['an order id that is not a string', { type: 'order.paid', data: { orderId: 7 } }],
    ['the id of an event other than order.created', { type: 'order.paid', data: { id: orderId } }],
    ['the id of the envelope itself', { id: orderId, type: 'order.paid', data: {} }],
    ['the data of an order.created written before orderId, alone (its type unknown)', { ...created.data, orderId: undefined }],
  ])('gives null for %s', (_, source) => {
    expect(orderIdOf(source)).toBeNull();
  });
});
