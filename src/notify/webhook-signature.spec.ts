import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { signWebhook } from './webhook-signature';

describe('webhook signature', () => {
  it('is accepted by the standardwebhooks verifier', () => {
    const key = randomBytes(24);
    const id = randomUUID();
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ id, status: 'PAID' });
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(key, id, timestamp, body) };
    const verifier = new Webhook(`whsec_${key.toString('base64')}`);
    expect(verifier.verify(body, headers)).toEqual({ id, status: 'PAID' });
  });

  it('is refused for another body', () => {
    const key = randomBytes(24);
    const id = randomUUID();
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(key, id, timestamp, '{"a":1}') };
    expect(() => new Webhook(`whsec_${key.toString('base64')}`).verify('{"a":2}', headers)).toThrow();
  });
});
