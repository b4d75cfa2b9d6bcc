import { randomUUID } from 'node:crypto';
import { AlertChecks } from '../src/alerts/alert-checks';
import { MerchantServer } from './support/merchant-server';
import { paidOrderTo } from './support/notify-helpers';
import { alertsOf, opsAlertsTo } from './support/ops-alerts';
import { blockVhost, queuesIdle, unblockVhost } from './support/reliability-broker';
import { notificationReaches } from './support/retry-helpers';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const SPIKE_COUNT = 3;

/**
 * The ops alerts the periodic check raises (docs/operations.md#alerts): `message.failed` on a
 * failure group's first failure after a quiet window, one `failures.spike` when the group
 * reaches OPS_SPIKE_COUNT within OPS_SPIKE_WINDOW (not one per failure), and `outbox.stalled`
 * and `outbox.recovered` once each as the oldest unpublished event goes past OPS_OUTBOX_STALLED_AFTER and back.
 */
describe('ops alerts the periodic check raises', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let receiver: MerchantServer;
  let shop: MerchantServer;

  beforeAll(async () => {
    world = await TestWorld.create('ops_alerts_conditions');
    receiver = await MerchantServer.start();
    shop = await MerchantServer.start();
  });
  afterAll(async () => {
    await unblockVhost(world.name).catch(() => undefined);
    await platform?.close();
    await receiver.stop();
    await shop.stop();
    await world.destroy();
  });

  /** A whole round of the check that began after this call: rounds in progress are waited out first. */
  const checkedSinceNow = async () => {
    const checks = platform.app.get(AlertChecks);
    await checks.runNow();
    await checks.runNow();
  };

  it('refuses to start with OPS_WEBHOOK_URL but no OPS_WEBHOOK_SECRET, saying so', async () => {
    await expect(world.start({ OPS_WEBHOOK_URL: `${receiver.url}/ops` })).rejects.toThrow(/OPS_WEBHOOK_SECRET: required when OPS_WEBHOOK_URL is set/);
  });

  it('sends one message.failed when a group first fails, and one failures.spike when it reaches OPS_SPIKE_COUNT, not one per failure', async () => {
    platform = await world.start({
      ...opsAlertsTo(receiver),
      OPS_SPIKE_COUNT: String(SPIKE_COUNT),
      OPS_SPIKE_WINDOW: '1m',
      OPS_CHECK_INTERVAL: '200ms',
      OPS_OUTBOX_STALLED_AFTER: '30s',
      NOTIFY_RETRY_SCHEDULE: '100ms',
    });
    shop.answerWith((_, response) => {
      response.statusCode = 503;
      response.end('down');
    });
    const failOrders = async (skus: string[]) => {
      const orders = await Promise.all(skus.map((sku) => paidOrderTo(platform.url, sku, `${shop.url}/notify`)));
      for (const order of orders) await notificationReaches(platform.url, order.id, 'FAILED');
    };

    await failOrders(['OC-1', 'OC-2']);
    await waitFor(() => alertsOf(receiver, 'message.failed').length > 0 || undefined, { what: 'message.failed' });
    await checkedSinceNow();
    await queuesIdle(world.name, ['ops.alert']);
    expect(alertsOf(receiver, 'failures.spike')).toHaveLength(0);

    await failOrders(['OC-3', 'OC-4', 'OC-5']);
    await waitFor(() => alertsOf(receiver, 'failures.spike').length > 0 || undefined, { what: 'failures.spike' });
    await checkedSinceNow();
    await queuesIdle(world.name, ['ops.alert']);

    const groups = await world.query<{ failure_group: string; handler: string; fingerprint: string; count: number }>(
      `SELECT failure_group, handler, fingerprint, count(*)::int AS count FROM failed_messages GROUP BY 1, 2, 3`,
    );
    expect(groups).toHaveLength(1);
    const [group] = groups;
    expect(group.count).toBe(5);
    const failed = alertsOf(receiver, 'message.failed');
    const spikes = alertsOf(receiver, 'failures.spike');
    expect(failed).toHaveLength(1);
    expect(spikes).toHaveLength(1);
    expect(failed[0].data).toMatchObject({ failureGroup: group.failure_group, handler: 'notify.merchant', fingerprint: group.fingerprint });
    expect(spikes[0].data).toMatchObject({ failureGroup: group.failure_group, handler: 'notify.merchant', fingerprint: group.fingerprint, threshold: SPIKE_COUNT, window: '1m' });
    expect(spikes[0].data.failures).toBeGreaterThanOrEqual(SPIKE_COUNT);
    const open = await world.query(`SELECT kind, subject FROM ops_alerts WHERE open ORDER BY kind`);
    expect(open).toEqual([
      { kind: 'failures.spike', subject: group.failure_group },
      { kind: 'message.failed', subject: group.failure_group },
    ]);
  });

  it('sends one outbox.stalled, with the broker unreachable, when the oldest unpublished event is older than OPS_OUTBOX_STALLED_AFTER, and one outbox.recovered after', async () => {
    // With the broker out of reach the stall's own event waits in the outbox too: the alert must go out without it.
    await blockVhost(world.name);
    // An event the relay will not touch for an hour, written an hour ago: the outbox is stalled.
    const id = randomUUID();
    const envelope = { id, type: 'order.confirmed', occurredAt: new Date().toISOString(), data: { orderId: randomUUID() } };
    await world.query(
      `INSERT INTO outbox (id, state, routing_key, envelope, created_at, next_attempt_at) VALUES ($1, 'READY', 'order.confirmed', $2, now() - interval '1 hour', now() + interval '1 hour')`,
      [id, envelope],
    );
    await waitFor(() => alertsOf(receiver, 'outbox.stalled').length > 0 || undefined, { what: 'outbox.stalled' });
    await checkedSinceNow();
    const [stalled] = alertsOf(receiver, 'outbox.stalled');
    expect(stalled.data).toMatchObject({ oldestEventId: id, routingKey: 'order.confirmed', stalledAfter: '30s' });
    expect(stalled.data.ageSeconds).toBeGreaterThanOrEqual(3600);

    await unblockVhost(world.name);
    await world.query(`DELETE FROM outbox WHERE id = $1`, [id]);
    await waitFor(() => alertsOf(receiver, 'outbox.recovered').length > 0 || undefined, { what: 'outbox.recovered', timeoutMs: 30_000 });
    await checkedSinceNow();
    await queuesIdle(world.name, ['ops.alert']);
    expect(alertsOf(receiver, 'outbox.stalled')).toHaveLength(1);
    const recovered = alertsOf(receiver, 'outbox.recovered');
    expect(recovered).toHaveLength(1);
    expect(recovered[0].data).toEqual({ stalledAlertId: stalled.id, stalledSince: stalled.occurredAt });
    // Each alert was delivered once: the stall's first attempt went out at once, and its event then found it delivered.
    const sent = await world.query<{ event_id: string; attempts: number }>(
      `SELECT event_id::text, count(*)::int AS attempts FROM deliveries WHERE event_id = ANY($1::uuid[]) GROUP BY event_id`,
      [[stalled.id, recovered[0].id]],
    );
    expect(sent.map((row) => row.attempts)).toEqual([1, 1]);
  });
});
