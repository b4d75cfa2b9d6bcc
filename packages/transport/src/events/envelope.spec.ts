import { randomUUID } from 'node:crypto';
import { createEnvelope, InvalidEnvelopeError, readEnvelope } from './envelope';

describe('reading an envelope off the broker', () => {
  const valid = createEnvelope('order.confirmed', { orderId: randomUUID() });

  it('gives each new event a time-ordered id (UUIDv7), so one made later sorts after', () => {
    const ids = Array.from({ length: 100 }, () => createEnvelope('order.confirmed', { orderId: randomUUID() }).id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
  });

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

  describe('order.created', () => {
    const orderId = randomUUID();
    const data = { id: orderId, orderId, merchantId: 'M1', status: 'PENDING', items: [{ sku: 'A', quantity: 1, unitPrice: 500 }], totalAmount: 500, currency: 'CNY', notifyUrl: 'https://merchant.example/notify', createdAt: new Date().toISOString() };
    const created = createEnvelope('order.created', data);

    it('names the order as orderId, as every other event does, and as id', () => {
      expect(readEnvelope(Buffer.from(JSON.stringify(created))).data).toMatchObject({ id: orderId, orderId });
    });

    it('gives one written before it carried orderId its orderId from id', () => {
      const { orderId: _, ...before } = data;
      expect(readEnvelope(Buffer.from(JSON.stringify({ ...created, data: before }))).data).toMatchObject({ id: orderId, orderId });
    });

    it('refuses one whose orderId and id name different orders', () => {
      expect(() => readEnvelope({ ...created, data: { ...data, orderId: randomUUID() } })).toThrow(/order\.created data: orderId: must equal id/);
    });
  });

  it('names a bad nested field', () => {
    const bad = createEnvelope('stock.reserved', { orderId: randomUUID(), items: [{ sku: 'A', quantity: 0 }] });
    expect(() => readEnvelope(JSON.parse(JSON.stringify(bad)))).toThrow(/stock\.reserved data: items\.0\.quantity: must be >= 1/);
  });
});
