import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks: `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, one per key,
 * space-separated: during a secret's rotation a notification is signed with the new and the
 * previous secret, and a receiver holding either verifies it. A few lines of node:crypto,
 * kept ours so the tests can check them against the `standardwebhooks` verifier independently.
 */
export function signWebhook(keys: Buffer[], id: string, timestamp: number, body: string): string {
  return keys.map((key) => `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`).join(' ');
}
