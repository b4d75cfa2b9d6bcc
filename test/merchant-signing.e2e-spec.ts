import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { http } from './support/http';
import { MerchantServer, ReceivedNotification } from './support/merchant-server';
import { payByCallback } from './support/notify-helpers';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { consumersReady, queuesIdle } from './support/reliability-broker';
import { RunningApp, SIGNING_KEY, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/**
 * Merchants as tenants: each registered merchant's notifications are signed with its own
 * secret (both the new and the previous one while a rotation's grace lasts), an unregistered
 * one's with NOTIFY_SIGNING_SECRET; a merchant's origins bound where its orders may be
 * notified, its subscriptions what it is sent; ops can send it a test event and a
 * notification again.
 */
describe('merchants: signing, origins, subscriptions, test and resend', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let shop: MerchantServer;

  beforeAll(async () => {
    world = await TestWorld.create('merchant_signing');
    shop = await MerchantServer.start();
    platform = await world.start();
    await consumersReady(world.name, ['notify.merchant']);
  });
  afterAll(async () => {
    await platform.close();
    await shop.stop();
    await world.destroy();
  });

  const admin = (method: string, path: string, body?: unknown) => http(platform.url, method, path, { admin: true, body });

  async function register(id: string, terms: Record<string, unknown> = {}): Promise<string> {
    const answer = await admin('POST', '/admin/merchants', { id, name: `Merchant ${id}`, ...terms });
    expect(answer.status).toBe(201);
    expect(answer.body.secret).toMatch(/^whsec_/);
    return answer.body.secret;
  }

  /** Whether a receiver holding only `secret` accepts the notification. */
  const verifies = (secret: string, request: ReceivedNotification) => {
    try {
      new Webhook(secret).verify(request.rawBody, request.headers as Record<string, string>);
      return true;
    } catch {
      return false;
    }
  };

  async function paidNotification(merchantId: string, sku: string): Promise<ReceivedNotification> {
    await setStock(platform.url, sku, 10, 100);
    const order = await placeOrder(platform.url, [{ sku, quantity: 1 }], `${shop.url}/notify`, { merchantId });
    await orderReaches(platform.url, order.id, ['CONFIRMED']);
    await payByCallback(platform.url, order);
    return waitFor(() => shop.forOrder(order.id)[0], { what: `the notification of order ${order.id}` });
  }

  it("signs each merchant's notifications with its own secret, and an unregistered one's with NOTIFY_SIGNING_SECRET", async () => {
    const [a, b] = [await register('sign-a'), await register('sign-b')];
    const toA = await paidNotification('sign-a', 'SIGN-A');
    const toB = await paidNotification('sign-b', 'SIGN-B');
    expect([verifies(a, toA), verifies(b, toA)]).toEqual([true, false]);
    expect([verifies(a, toB), verifies(b, toB)]).toEqual([false, true]);

    const shared = `whsec_${SIGNING_KEY.toString('base64')}`;
    const toUnregistered = await paidNotification('sign-unregistered', 'SIGN-U');
    expect([verifies(shared, toUnregistered), verifies(a, toUnregistered)]).toEqual([true, false]);
  });

  it('keeps no secret in the database: neither the secret nor its base64', async () => {
    const secret = await register('sign-stored');
    const raw = secret.slice('whsec_'.length);
    const [row] = await world.query<Record<string, unknown>>(`SELECT * FROM merchants WHERE id = 'sign-stored'`);
    const stored = JSON.stringify(row);
    for (const form of [secret, raw, Buffer.from(raw, 'base64').toString('hex'), Buffer.from(raw, 'base64').toString('base64url')]) {
      expect(stored).not.toContain(form);
    }
  });

  it('signs with the new and the previous secret during the grace, the new one only after it, and at once after expire-previous', async () => {
    const first = await register('sign-rotate');
    const rotated = await admin('POST', '/admin/merchants/sign-rotate/rotate-secret', { graceSeconds: 2 });
    expect(rotated.status).toBe(200);
    const second: string = rotated.body.secret;
    expect(second).not.toBe(first);

    const during = await paidNotification('sign-rotate', 'SIGN-R1');
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect([verifies(first, during), verifies(second, during)]).toEqual([true, true]);

    const expiresAt = Date.parse(rotated.body.previousSecretExpiresAt);
    await waitFor(() => Date.now() > expiresAt + 100, { what: 'the grace to be over', timeoutMs: 10_000 });
    const after = await paidNotification('sign-rotate', 'SIGN-R2');
    expect([verifies(first, after), verifies(second, after)]).toEqual([false, true]);

    const third: string = (await admin('POST', '/admin/merchants/sign-rotate/rotate-secret', {})).body.secret;
    expect((await admin('POST', '/admin/merchants/sign-rotate/expire-previous-secret')).status).toBe(200);
    const expired = await paidNotification('sign-rotate', 'SIGN-R3');
    expect([verifies(second, expired), verifies(third, expired)]).toEqual([false, true]);
  });

  it('refuses an order whose notifyUrl is off the merchant’s origins with 422 naming the field, and makes nothing', async () => {
    await register('sign-origins', { notifyOrigins: ['https://shop.example'] });
    await setStock(platform.url, 'SIGN-O', 10, 100);
    const count = async () => (await world.query<{ count: number }>(`SELECT count(*)::int AS count FROM orders`))[0].count;
    const before = await count();
    const answer = await http(platform.url, 'POST', '/orders', {
      body: { merchantId: 'sign-origins', items: [{ sku: 'SIGN-O', quantity: 1 }], notifyUrl: `${shop.url}/notify` },
    });
    expect(answer.status).toBe(422);
    expect(answer.body.message).toMatch(/^notifyUrl .*https:\/\/shop\.example/);
    expect(await count()).toBe(before);
  });

  it('sends an event the merchant does not take to nobody, records no failure, and shows it NOT_SUBSCRIBED', async () => {
    await register('sign-subscribed', { events: ['order.paid'] });
    await setStock(platform.url, 'SIGN-S', 1, 100);
    const rejected = await placeOrder(platform.url, [{ sku: 'SIGN-S', quantity: 5 }], `${shop.url}/notify`, { merchantId: 'sign-subscribed' });
    await orderReaches(platform.url, rejected.id, ['REJECTED']);
    await waitFor(async () => (await http(platform.url, 'GET', `/orders/${rejected.id}`)).body.notification.state === 'NOT_SUBSCRIBED', {
      what: 'the notification to be NOT_SUBSCRIBED',
    });
    await queuesIdle(world.name, ['notify.merchant']);
    expect(shop.forOrder(rejected.id)).toEqual([]);
    expect(await world.query(`SELECT 1 FROM failed_messages WHERE payload LIKE $1`, [`%${rejected.id}%`])).toEqual([]);
    const paid = await paidNotification('sign-subscribed', 'SIGN-S2');
    expect(paid.body.status).toBe('PAID');
  });

  it('sends a signed test event on request and logs it; resends a notification under the same webhook-id, on the audit trail', async () => {
    const secret = await register('sign-ops');
    const test = await admin('POST', '/admin/merchants/sign-ops/test', { url: `${shop.url}/test` });
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ delivered: true, status: 200, url: `${shop.url}/test` });
    const ping = await waitFor(() => shop.received.find((request) => request.body.id === test.body.webhookId), { what: 'the ping' });
    expect(ping.body).toMatchObject({ type: 'ping', data: { merchantId: 'sign-ops' } });
    expect(verifies(secret, ping)).toBe(true);
    const logged = await world.query(`SELECT attempt, delivered, url FROM deliveries WHERE event_id = $1`, [test.body.webhookId]);
    expect(logged).toEqual([{ attempt: 1, delivered: true, url: `${shop.url}/test` }]);

    const orderId = (await paidNotification('sign-ops', 'SIGN-RESEND')).body.orderId;
    const [notification] = await waitFor(async () => {
      const rows = await world.query<{ event_id: string; state: string }>(`SELECT event_id, state FROM notifications WHERE order_id = $1`, [orderId]);
      return rows[0]?.state === 'DELIVERED' && rows;
    }, { what: 'the notification to be delivered' });
    const resent = await admin('POST', `/admin/notifications/${notification.event_id}/resend`);
    expect(resent.status).toBe(200);
    expect(resent.body).toMatchObject({ delivered: true, webhookId: notification.event_id });
    const copies = shop.received.filter((request) => request.headers['webhook-id'] === notification.event_id);
    expect(copies).toHaveLength(2);
    expect(copies[1].rawBody).toBe(copies[0].rawBody);
    const audit = await world.query(`SELECT actor, action FROM ops_actions WHERE subject_type = 'notification' AND subject_id = $1`, [notification.event_id]);
    expect(audit).toEqual([{ actor: 'admin', action: 'notification.resend' }]);
    expect((await admin('POST', `/admin/notifications/${randomUUID()}/resend`)).status).toBe(404);
  });
});
