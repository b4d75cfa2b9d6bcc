import { randomUUID } from 'node:crypto';
import { createEnvelope, InvalidEnvelopeError, readEnvelope } from './envelope';

describe('reading an envelope off the broker', () => {
  const valid = createEnvelope('order.confirmed', { orderId: randomUUID() });

  it('accepts a well-formed envelope', () => {
    expect(readEnvelope(Buffer.from(JSON.stringify(valid)))).toEqual(valid);
  });

  it.each([
    ['not JSON', Buffer.from('{nope'), /not JSON/],
    ['an array', Buffer.from('[]'), /not a JSON object/],
    ['a missing id', { ...valid, id: undefined }, /envelope: id/],
    ['an unknown type', { ...valid, type: 'order.exploded' }, /envelope: type/],
    ['a payload without its order id', { ...valid, data: {} }, /order.confirmed data: orderId/],
  ])('refuses %s', (_, content, message) => {
    expect(() => readEnvelope(content as Buffer)).toThrow(InvalidEnvelopeError);
    expect(() => readEnvelope(content as Buffer)).toThrow(message);
  });

  it('names a bad nested field', () => {
    const bad = createEnvelope('stock.reserved', { orderId: randomUUID(), items: [{ sku: 'A', quantity: 0 }] });
    expect(() => readEnvelope(JSON.parse(JSON.stringify(bad)))).toThrow(/items\.0\.quantity/);
  });
});
