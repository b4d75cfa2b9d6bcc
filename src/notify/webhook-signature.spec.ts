import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { signWebhook } from './webhook-signature';

describe('webhook signature', () => {
  it('is accepted by the standardwebhooks verifier', () => {
    const key = randomBytes(24);
    const id = randomUUID();
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ id, status: 'PAID' });
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook([key], id, timestamp, body) };
    const verifier = new Webhook(`whsec_${key.toString('base64')}`);
    expect(verifier.verify(body, headers)).toEqual({ id, status: 'PAID' });
  });

  it('is refused for another body', () => {
    const key = randomBytes(24);
    const id = randomUUID();
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook([key], id, timestamp, '{"a":1}') };
    expect(() => new Webhook(`whsec_${key.toString('base64')}`).verify('{"a":2}', headers)).toThrow();
  });

  it('carries one signature per key, and a receiver holding either secret verifies it', () => {
    const [current, previous, other] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const id = randomUUID();
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ id });
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook([current, previous], id, timestamp, body) };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const key of [current, previous]) expect(new Webhook(`whsec_${key.toString('base64')}`).verify(body, headers)).toEqual({ id });
    expect(() => new Webhook(`whsec_${other.toString('base64')}`).verify(body, headers)).toThrow();
  });
});
