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
    ['an unknown type', { ...valid, type: 'order.exploded' }, /envelope: type: must be one of order\.created, /],
    ['an id that is not a UUID', { ...valid, id: 'abc' }, /envelope: id: must be a UUID/],
    ['an instant that is not ISO 8601', { ...valid, occurredAt: 'yesterday' }, /envelope: occurredAt: must be an ISO 8601/],
    ['a payload that is not an object', { ...valid, data: 'x' }, /envelope: data: must be object/],
    ['a payload without its order id', { ...valid, data: {} }, /order.confirmed data: orderId: is required/],
  ])('refuses %s', (_, content, message) => {
    expect(() => readEnvelope(content as Buffer)).toThrow(InvalidEnvelopeError);
    expect(() => readEnvelope(content as Buffer)).toThrow(message);
  });

  it('names a bad nested field', () => {
    const bad = createEnvelope('stock.reserved', { orderId: randomUUID(), items: [{ sku: 'A', quantity: 0 }] });
    expect(() => readEnvelope(JSON.parse(JSON.stringify(bad)))).toThrow(/stock\.reserved data: items\.0\.quantity: must be >= 1/);
  });
});
