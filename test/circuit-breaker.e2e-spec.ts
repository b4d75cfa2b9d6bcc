import { http } from './support/http';
import { MerchantServer } from './support/merchant-server';
import { paidOrderTo } from './support/notify-helpers';
import { queuesIdle } from './support/reliability-broker';
import { notificationReaches, staysAt } from './support/retry-helpers';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const COOLDOWN_MS = 1_500;

/**
 * SPEC §8's circuit breaker, compressed: 4 attempts at 100% failure open it; while open,
 * attempts are not sent and count as failed; after the cooldown one probe goes out, its
 * success closes the circuit and re-runs what failed for good while it was open.
 */
describe('the circuit breaker of an endpoint', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let shop: MerchantServer;

  beforeAll(async () => {
    world = await TestWorld.create('circuit');
    shop = await MerchantServer.start();
    platform = await world.start({
      NOTIFY_CIRCUIT_MIN_REQUESTS: '4',
      NOTIFY_CIRCUIT_FAILURE_RATE: '0.5',
      NOTIFY_CIRCUIT_WINDOW: '1m',
      NOTIFY_CIRCUIT_COOLDOWN: `${COOLDOWN_MS}ms`,
    });
  });
  afterAll(async () => {
    await platform.close();
    await shop.stop();
    await world.destroy();
  });

  const paidOrder = (sku: string) => paidOrderTo(platform.url, sku, `${shop.url}/notify`);

  const endpoint = async () =>
    (await world.query<{ id: string; state: string; cooled: boolean }>(
      `SELECT id, state, opened_at <= now() - $1 * interval '1 millisecond' AS cooled FROM endpoints WHERE origin = $2`,
      [COOLDOWN_MS, shop.url],
    ))[0];

  it('opens on failures, sends nothing while open, probes once after the cooldown, closes and re-runs what failed meanwhile', async () => {
    shop.answerWith((_, response) => {
      response.statusCode = 503;
      response.end('down');
    });
    const first = await paidOrder('CB-1');
    const second = await paidOrder('CB-2');
    await notificationReaches(platform.url, first.id, 'FAILED');
    await notificationReaches(platform.url, second.id, 'FAILED');
    await queuesIdle(world.name, ['notify.merchant']);

    // 4 attempts sent and failed opened the circuit; the rest of the schedule was not sent. The two
    // notifications' attempts run side by side, so one may already have been admitted when the 4th
    // failure opened the circuit (as in any breaker, what is in flight when it trips goes on): 4 or 5.
    const sent = shop.received.length;
    expect([4, 5]).toContain(sent);
    expect((await endpoint()).state).toBe('OPEN');
    const log = await world.query<{ error: string; count: number }>(
      `SELECT error, count(*)::int AS count FROM deliveries WHERE order_id = ANY($1::uuid[]) GROUP BY error ORDER BY error`,
      [[first.id, second.id]],
    );
    expect(log).toEqual([
      { error: 'HTTP 503', count: sent },
      { error: 'endpoint circuit open', count: 8 - sent },
    ]);
    const view = await http(platform.url, 'GET', `/admin/endpoints/${(await endpoint()).id}`, { admin: true });
    expect(view.body).toMatchObject({ state: 'OPEN', lastError: 'HTTP 503' });

    shop.answerWith((_, response) => response.end('success'));
    await waitFor(async () => (await endpoint()).cooled, { what: 'the cooldown to be over', timeoutMs: 10_000 });
    // The next attempt after the cooldown is the probe; its success closes the circuit.
    const third = await paidOrder('CB-3');
    await notificationReaches(platform.url, third.id, 'DELIVERED');
    await notificationReaches(platform.url, first.id, 'DELIVERED');
    await notificationReaches(platform.url, second.id, 'DELIVERED');
    expect((await endpoint()).state).toBe('ACTIVE');
    await staysAt(() => shop.received.length, 7, 1_500, 'requests after the circuit closed');
    expect([first, second, third].map((order) => shop.forOrder(order.id).length)).toEqual([3, 3, 1]);
    const metrics = (await http(platform.url, 'GET', '/metrics')).text;
    for (const transition of ['opened', 'probing', 'closed']) {
      expect(metrics).toMatch(new RegExp(`backstop_endpoint_circuit_transitions_total\\{transition="${transition}"\\} 1\\b`));
    }
    expect(metrics).toMatch(/backstop_deliveries_total\{outcome="failed",endpoint_state="OPEN"\} 4/);
  });
});
