import { ServerResponse } from 'node:http';
import { http } from './support/http';
import { MerchantServers, MerchantServer } from './support/merchant-server';
import { paidOrderTo } from './support/notify-helpers';
import { alertsOf, opsAlertsTo, requestsOf } from './support/ops-alerts';
import { queuesIdle } from './support/reliability-broker';
import { failFirst, notificationReaches } from './support/retry-helpers';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const COOLDOWN_MS = 500;

/**
 * Ops alerts about merchant endpoints (docs/operations.md#alerts): signed webhooks to
 * OPS_WEBHOOK_URL, one per change of state however many attempts see it, retried until the
 * receiver answers 2xx, every attempt in the delivery log.
 */
describe('ops alerts about endpoints', () => {
  let world: TestWorld;
  let platform: RunningApp;
  const servers = new MerchantServers();
  let receiver: MerchantServer;

  beforeAll(async () => {
    world = await TestWorld.create('ops_alerts_endpoints');
    receiver = await servers.start();
    // Every alert's first request fails: each is sent again, as the notify schedule says.
    failFirst(receiver, 1);
    platform = await world.start({
      ...opsAlertsTo(receiver),
      // Endpoint alerts are raised as they happen; the periodic check (failures, outbox) stays out of this file.
      OPS_CHECK_INTERVAL: '1h',
      NOTIFY_CIRCUIT_MIN_REQUESTS: '2',
      NOTIFY_CIRCUIT_FAILURE_RATE: '0.5',
      NOTIFY_CIRCUIT_WINDOW: '1m',
      NOTIFY_CIRCUIT_COOLDOWN: `${COOLDOWN_MS}ms`,
    });
  });
  afterAll(async () => {
    await platform?.close();
    await servers.stopAll();
    await world.destroy();
  });

  const endpointOf = async (shop: MerchantServer) =>
    (await world.query<{ id: string; state: string; cooled: boolean }>(
      `SELECT id, state, opened_at <= now() - $1 * interval '1 millisecond' AS cooled FROM endpoints WHERE origin = $2`,
      [COOLDOWN_MS, shop.url],
    ))[0];

  it('sends one endpoint.disabled, signed, when two attempts in flight at once are both answered 410 Gone; retried and logged', async () => {
    const shop = await servers.start();
    // Both notifications are held until the other has arrived too, then both answered 410: two
    // attempts record a disabling answer at the same moment, and only one of them disabled it.
    const held: ServerResponse[] = [];
    const gone = (response: ServerResponse) => {
      response.statusCode = 410;
      response.end('gone');
    };
    shop.answerWith((_, response) => {
      held.push(response);
      if (held.length === 2) held.forEach(gone);
      else setTimeout(() => gone(response), 4_000).unref();
    });
    const [first, second] = await Promise.all([paidOrderTo(platform.url, 'OA-1', `${shop.url}/notify`), paidOrderTo(platform.url, 'OA-2', `${shop.url}/notify`)]);
    await notificationReaches(platform.url, first.id, 'FAILED');
    await notificationReaches(platform.url, second.id, 'FAILED');
    expect(shop.received).toHaveLength(2);
    const endpoint = await endpointOf(shop);
    expect(endpoint.state).toBe('DISABLED');

    // Delivered on its second request, after the receiver's 500.
    await waitFor(() => requestsOf(receiver, 'endpoint.disabled').length >= 2 || undefined, { what: 'endpoint.disabled to be sent again' });
    await queuesIdle(world.name, ['notify.merchant', 'ops.alert']);
    const requests = requestsOf(receiver, 'endpoint.disabled');
    expect(requests).toHaveLength(2);
    const [alert] = alertsOf(receiver, 'endpoint.disabled');
    expect(requests.map((request) => request.webhookId)).toEqual([alert.webhookId, alert.webhookId]);
    expect(alert).toMatchObject({ id: alert.webhookId, type: 'endpoint.disabled', data: { endpointId: endpoint.id, origin: shop.url, reason: '410 Gone' } });
    expect(Date.parse(alert.occurredAt)).not.toBeNaN();

    const log = await world.query(
      `SELECT attempt, delivered, http_status, order_id, endpoint_id, url FROM deliveries WHERE event_id = $1 ORDER BY attempt`,
      [alert.webhookId],
    );
    expect(log).toEqual([
      { attempt: 1, delivered: false, http_status: 500, order_id: null, endpoint_id: null, url: `${receiver.url}/ops` },
      { attempt: 2, delivered: true, http_status: 200, order_id: null, endpoint_id: null, url: `${receiver.url}/ops` },
    ]);
    const rows = await world.query<{ kind: string; delivered: boolean }>(`SELECT kind, delivered_at IS NOT NULL AS delivered FROM ops_alerts`);
    expect(rows).toEqual([{ kind: 'endpoint.disabled', delivered: true }]);
  });

  it('sends endpoint.disabled again only once the endpoint was enabled and disabled again', async () => {
    const shop = await servers.start();
    shop.answerWith((_, response) => {
      response.statusCode = 410;
      response.end('gone');
    });
    const first = await paidOrderTo(platform.url, 'OA-3', `${shop.url}/notify`);
    await notificationReaches(platform.url, first.id, 'FAILED');
    // Sent nothing (disabled), failing at once: no change of state, no alert.
    const second = await paidOrderTo(platform.url, 'OA-4', `${shop.url}/notify`);
    await notificationReaches(platform.url, second.id, 'FAILED');
    const { id } = await endpointOf(shop);
    expect((await http(platform.url, 'POST', `/admin/endpoints/${id}/enable`, { admin: true })).status).toBe(200);
    const third = await paidOrderTo(platform.url, 'OA-5', `${shop.url}/notify`);
    await notificationReaches(platform.url, third.id, 'FAILED');
    expect(shop.received).toHaveLength(2);

    const mine = () => alertsOf(receiver, 'endpoint.disabled').filter((alert) => alert.data.endpointId === id);
    await waitFor(() => mine().length >= 2 || undefined, { what: 'the second endpoint.disabled' });
    await queuesIdle(world.name, ['notify.merchant', 'ops.alert']);
    expect(mine()).toHaveLength(2);
    expect(new Set(mine().map((alert) => alert.webhookId)).size).toBe(2);
  });

  it('sends endpoint.circuit_opened when the circuit opens, not on each reopening, and endpoint.circuit_closed when it closes', async () => {
    const shop = await servers.start();
    shop.answerWith((_, response) => {
      response.statusCode = 503;
      response.end('down');
    });
    const failing = await Promise.all([paidOrderTo(platform.url, 'OA-6', `${shop.url}/notify`), paidOrderTo(platform.url, 'OA-7', `${shop.url}/notify`)]);
    for (const order of failing) await notificationReaches(platform.url, order.id, 'FAILED');
    await queuesIdle(world.name, ['notify.merchant']);
    const { id } = await endpointOf(shop);
    const mine = (type: string) => alertsOf(receiver, type).filter((alert) => alert.data.endpointId === id);
    // 2 failed attempts opened it; the probes after each cooldown failed and reopened it.
    const reopened = await world.query<{ count: number }>(`SELECT count(*)::int AS count FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id WHERE e.origin = $1 AND d.delivered = false AND d.http_status = 503`, [shop.url]);
    expect(reopened[0].count).toBeGreaterThanOrEqual(3);
    await waitFor(() => mine('endpoint.circuit_opened').length > 0 || undefined, { what: 'endpoint.circuit_opened' });

    shop.answerWith((_, response) => response.end('success'));
    await waitFor(async () => (await endpointOf(shop)).cooled || undefined, { what: 'the cooldown to pass' });
    const probe = await paidOrderTo(platform.url, 'OA-8', `${shop.url}/notify`);
    await notificationReaches(platform.url, probe.id, 'DELIVERED');
    expect((await endpointOf(shop)).state).toBe('ACTIVE');
    await waitFor(() => mine('endpoint.circuit_closed').length > 0 || undefined, { what: 'endpoint.circuit_closed' });
    await queuesIdle(world.name, ['notify.merchant', 'ops.alert']);

    expect(mine('endpoint.circuit_opened')).toHaveLength(1);
    expect(mine('endpoint.circuit_closed')).toHaveLength(1);
    const [opened] = mine('endpoint.circuit_opened');
    const [closed] = mine('endpoint.circuit_closed');
    expect(opened.data).toMatchObject({ endpointId: id, origin: shop.url });
    expect(closed.data).toMatchObject({ endpointId: id, origin: shop.url });
    expect(Date.parse(closed.data.openedAt)).toBeGreaterThanOrEqual(Date.parse(opened.data.openedAt));
  });
});
