import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { MerchantServer, ReceivedNotification } from './merchant-server';

/** The ops webhook's secret in tests: another key than merchants' NOTIFY_SIGNING_SECRET, so a mix-up fails verification. */
export const OPS_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

/** The environment that sends ops alerts to `receiver`. */
export function opsAlertsTo(receiver: MerchantServer): Record<string, string> {
  return { OPS_WEBHOOK_URL: `${receiver.url}/ops`, OPS_WEBHOOK_SECRET: OPS_SECRET };
}

/** An alert as the receiver got it, checked with the reference Standard Webhooks verifier under OPS_SECRET. */
export interface ReceivedAlert {
  webhookId: string;
  id: string;
  type: string;
  occurredAt: string;
  data: Record<string, any>;
}

export function verifyAlert(received: ReceivedNotification): ReceivedAlert {
  const header = (name: string) => {
    const value = received.headers[name];
    if (typeof value !== 'string') throw new Error(`header ${name} missing`);
    return value;
  };
  const payload = new Webhook(OPS_SECRET).verify(received.rawBody, {
    'webhook-id': header('webhook-id'),
    'webhook-timestamp': header('webhook-timestamp'),
    'webhook-signature': header('webhook-signature'),
  }) as Omit<ReceivedAlert, 'webhookId'>;
  return { webhookId: header('webhook-id'), ...payload };
}

/** Every request of alerts of `type` the receiver got (several per alert when it was retried), verified. */
export function requestsOf(receiver: MerchantServer, type: string): ReceivedAlert[] {
  return receiver.received.filter((request) => request.body.type === type).map(verifyAlert);
}

/** The distinct alerts of `type` the receiver got, by webhook-id, in the order they first came. */
export function alertsOf(receiver: MerchantServer, type: string): ReceivedAlert[] {
  const byId = new Map<string, ReceivedAlert>();
  for (const alert of requestsOf(receiver, type)) if (!byId.has(alert.webhookId)) byId.set(alert.webhookId, alert);
  return [...byId.values()];
}
