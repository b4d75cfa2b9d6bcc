import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { TopologyReadiness } from '../src/messaging/topology-readiness';
import { expectError } from './support/contract-errors';
import { bearer, failedMessage } from './support/failed-messages';
import { http } from './support/http';
import { MerchantServer } from './support/merchant-server';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { ServiceDouble } from './support/service-double';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

interface FailureGroup {
  key: string;
  handler: string;
  fingerprint: string;
  endpoint: string | null;
  count: number;
  firstSeen: string;
  lastSeen: string;
  samples: string[];
}

const SERVICE_QUEUE = 'loyalty.groups';
const ORDERS = 12;

const refuse = (_: unknown, response: ServerResponse) => {
  response.statusCode = 500;
  response.end('merchant is down');
};
const accept = (_: unknown, response: ServerResponse) => response.end('success');

/** The same failure with other ids, times and numbers in it each time. */
const chargeFailure = (origin: string) => {
  const orderId = randomUUID();
  return {
    body: JSON.stringify({ id: randomUUID(), type: 'order.paid', data: { orderId } }),
    error: `ChargeError: order ${orderId} refused by ${origin}/charges/${randomUUID()}?try=${1 + Math.floor(Math.random() * 9)}: HTTP 50${Math.floor(Math.random() * 4)} after ${100 + Math.floor(Math.random() * 900)} ms`,
  };
};

describe('failure groups', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let merchant: MerchantServer;
  let service: ServiceDouble;

  const groups = async (status = 'FAILED'): Promise<FailureGroup[]> => {
    const answer = await http(platform.url, 'GET', `/admin/failure-groups?status=${status}`, { admin: true });
    if (answer.status !== 200) throw new Error(`GET /admin/failure-groups: ${answer.status} ${answer.text}`);
    return answer.body.items;
  };
  const groupOf = async (handler: string, fingerprint: RegExp, status = 'FAILED') =>
    (await groups(status)).find((group) => group.handler === handler && fingerprint.test(group.fingerprint));
  const rowsOf = (key: string) =>
    world.query<{ id: string; status: string; poison: boolean; message_id: string }>(`SELECT id, status, poison, message_id FROM failed_messages WHERE failure_group = $1`, [key]);

  beforeAll(async () => {
    world = await TestWorld.create('failure_groups');
    merchant = await MerchantServer.start();
    // No sweep within the test: what is re-run here, ops re-run.
    platform = await world.start({ SWEEP_SCHEDULE: '1h', SWEEP_INTERVAL: '100ms' });
    await waitFor(() => platform.app.get(TopologyReadiness).ready, { what: 'the handler topology to be declared' });
    service = await ServiceDouble.start(world.rabbitmqUrl, SERVICE_QUEUE);
  });
  afterAll(async () => {
    await service?.stop();
    await world.destroy();
    await merchant.stop();
  });

  let notifyGroup: FailureGroup;
  let chargeGroup: FailureGroup;
  let otherOriginGroup: FailureGroup;

  it('makes one group of failures of one shape, whatever ids they name, apart by handler and endpoint', async () => {
    // A merchant that is down: twelve rejected orders' notifications fail after their last attempt.
    merchant.answerWith(refuse);
    await setStock(platform.url, 'FG-NONE', 0);
    const orders = await Promise.all(Array.from({ length: ORDERS }, () => placeOrder(platform.url, [{ sku: 'FG-NONE', quantity: 1 }], merchant.url)));
    for (const order of orders) await orderReaches(platform.url, order.id, ['REJECTED']);
    await waitFor(async () => (await world.query(`SELECT 1 FROM failed_messages WHERE handler = 'notify.merchant' AND status = 'FAILED'`)).length === ORDERS, {
      what: `${ORDERS} notify.merchant failures`,
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    // A service whose payment provider fails: twelve failures against one origin, three against another, each naming its own ids.
    await service.report(Array.from({ length: ORDERS }, () => chargeFailure('https://psp.example')));
    await service.report(Array.from({ length: 3 }, () => chargeFailure('https://other-psp.example:8443')));

    const listed = await waitFor(
      async () => {
        const found = await groups();
        const grouped = found.reduce((sum, group) => sum + group.count, 0);
        if (grouped === 2 * ORDERS + 3) return found;
        // What a timeout reports: the groups so far, and the rows the reports became.
        const rows = await world.query<{ handler: string; status: string; n: number }>(`SELECT handler, status, count(*)::int AS n FROM failed_messages GROUP BY 1, 2 ORDER BY 1, 2`);
        throw new Error(`${grouped} grouped (${found.map((group) => `${group.handler} "${group.fingerprint}" ×${group.count}`).join('; ')}); rows: ${rows.map((row) => `${row.handler} ${row.status} ×${row.n}`).join('; ')}`);
      },
      { what: 'every failure to be grouped', timeoutMs: 30_000 },
    );
    expect(listed).toHaveLength(3);
    // The group seen last first.
    const lastSeen = listed.map((group) => Date.parse(group.lastSeen));
    expect(lastSeen).toEqual([...lastSeen].sort((a, b) => b - a));

    notifyGroup = listed.find((group) => group.handler === 'notify.merchant')!;
    // notify's error names no URL; the group carries the merchant's origin once its error says it (FailureDetail.endpoint).
    expect(notifyGroup).toMatchObject({ fingerprint: 'DeliveryFailedError: HTTP <n>', count: ORDERS });
    expect([null, new URL(merchant.url).origin]).toContain(notifyGroup.endpoint);
    chargeGroup = listed.find((group) => group.endpoint === 'https://psp.example')!;
    expect(chargeGroup).toMatchObject({
      handler: SERVICE_QUEUE,
      fingerprint: 'ChargeError: order <id> refused by <url>: HTTP <n> after <n> ms',
      count: ORDERS,
    });
    otherOriginGroup = listed.find((group) => group.endpoint === 'https://other-psp.example:8443')!;
    expect(otherOriginGroup).toMatchObject({ handler: SERVICE_QUEUE, fingerprint: chargeGroup.fingerprint, count: 3 });
    expect(new Set(listed.map((group) => group.key)).size).toBe(3);

    for (const group of listed) {
      expect(group.key).toMatch(/^[0-9a-f]{16}$/);
      expect(Date.parse(group.firstSeen)).toBeLessThanOrEqual(Date.parse(group.lastSeen));
      // Samples are messages of the group: up to 3, and each shown whole by the failed-message API.
      const members = (await rowsOf(group.key)).map((row) => row.id);
      expect(group.samples).toHaveLength(3);
      expect(members).toEqual(expect.arrayContaining(group.samples));
    }
    const sample = await failedMessage(platform.url, chargeGroup.samples[0]);
    expect(sample).toMatchObject({ handler: SERVICE_QUEUE, status: 'FAILED', error: expect.stringMatching(/^ChargeError: order [0-9a-f-]{36} refused by https:\/\/psp\.example\//) });
  });

  it('retries a group once each, as retry all that match does; its count drops as the re-runs succeed', async () => {
    // In-process handler: the merchant is back, and each notification is sent once more.
    merchant.answerWith(accept);
    const requestsBefore = merchant.received.length;
    const notify = await http(platform.url, 'POST', `/admin/failure-groups/${notifyGroup.key}/retry`, { admin: true });
    expect(notify.status).toBe(202);
    expect(notify.body).toEqual({ retried: ORDERS, skipped: 0 });
    await waitFor(async () => (await rowsOf(notifyGroup.key)).every((row) => row.status === 'RESOLVED'), { what: 'the notifications to be re-run and resolved', timeoutMs: 20_000 });
    expect(merchant.received.length - requestsBefore).toBe(ORDERS);
    expect(await groupOf('notify.merchant', /HTTP/)).toBeUndefined();

    // A service's re-runs wait in its queue until it answers: the group is RETRYING meanwhile.
    const charge = await http(platform.url, 'POST', `/admin/failure-groups/${chargeGroup.key}/retry`, { admin: true });
    expect(charge.status).toBe(202);
    expect(charge.body).toEqual({ retried: ORDERS, skipped: 0 });
    expect((await groups()).map((group) => group.key)).toEqual([otherOriginGroup.key]);
    expect((await groups('RETRYING')).find((group) => group.key === chargeGroup.key)).toMatchObject({ count: ORDERS });

    const seen: number[] = [];
    await service.answerReruns();
    await waitFor(
      async () => {
        const retrying = (await groups('RETRYING')).find((group) => group.key === chargeGroup.key);
        seen.push(retrying?.count ?? 0);
        return retrying === undefined;
      },
      { what: 'the re-runs of the group to succeed', intervalMs: 10 },
    );
    // Never up, only down to none.
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect((await rowsOf(chargeGroup.key)).map((row) => row.status)).toEqual(Array(ORDERS).fill('RESOLVED'));
    // Each re-run once, and each row's action in its audit trail.
    expect(new Set(service.reruns.map((rerun) => rerun.failedMessageId)).size).toBe(ORDERS);
    expect(service.reruns).toHaveLength(ORDERS);
    const detail = await failedMessage(platform.url, chargeGroup.samples[1]);
    expect(detail.actions.map(({ action, actor }) => ({ action, actor }))).toEqual([{ action: 'retry', actor: 'admin' }]);

    // Nothing FAILED left in it: a second retry finds nothing.
    const again = await http(platform.url, 'POST', `/admin/failure-groups/${chargeGroup.key}/retry`, { admin: true });
    expect({ status: again.status, body: again.body }).toEqual({ status: 202, body: { retried: 0, skipped: 0 } });
  });

  it('skips the poison of a group and counts it', async () => {
    // Built whole for each number: replacing "12" in a finished error could hit the customer's id instead.
    const customer = randomUUID();
    const error = (points: number) => `PointsError: customer ${customer} is over the limit by ${points} points`;
    const [first, second, unreadable] = await service.report([
      { body: JSON.stringify({ id: randomUUID(), type: 'order.paid', data: {} }), error: error(12) },
      { body: JSON.stringify({ id: randomUUID(), type: 'order.paid', data: {} }), error: error(340) },
      { body: 'not an envelope', error: error(7), attempts: 1, poison: true },
    ]);
    const group = await waitFor(async () => {
      const found = await groupOf(SERVICE_QUEUE, /^PointsError/);
      return found?.count === 3 ? found : undefined;
    }, { what: 'the points failures to be grouped' });
    expect(group.fingerprint).toBe('PointsError: customer <id> is over the limit by <n> points');
    const rows = new Map((await rowsOf(group.key)).map((row) => [row.message_id, row]));
    // The readable ones first: a sample is what ops open to see the failure.
    expect(group.samples.slice(0, 2).sort()).toEqual([rows.get(first)!.id, rows.get(second)!.id].sort());
    expect(group.samples[2]).toBe(rows.get(unreadable)!.id);

    const retried = await http(platform.url, 'POST', `/admin/failure-groups/${group.key}/retry`, { admin: true });
    expect({ status: retried.status, body: retried.body }).toEqual({ status: 202, body: { retried: 2, skipped: 1 } });
    await waitFor(async () => (await rowsOf(group.key)).filter((row) => row.status === 'RESOLVED').length === 2, {
      what: 'the two readable messages to be re-run and resolved',
    });
    const poison = await failedMessage(platform.url, rows.get(unreadable)!.id);
    expect(poison).toMatchObject({ status: 'FAILED', poison: true, attempts: 1, actions: [] });
    expect(service.reruns.map((rerun) => rerun.failedMessageId)).not.toContain(rows.get(unreadable)!.id);
    expect(await groupOf(SERVICE_QUEUE, /^PointsError/)).toMatchObject({ key: group.key, count: 1, samples: [rows.get(unreadable)!.id] });
  });

  it('discards a group with a reason, each message with its audit entry; refuses bad input and changes nothing', async () => {
    const path = `/admin/failure-groups/${otherOriginGroup.key}/discard`;
    expectError(await http(platform.url, 'POST', path, { admin: true, body: {} }), 400, /reason/);
    expectError(await http(platform.url, 'POST', path, { admin: true, body: { reason: '' } }), 400, /reason/);
    expectError(await http(platform.url, 'POST', '/admin/failure-groups/not-a-key/discard', { admin: true, body: { reason: 'x' } }), 400, /key/);
    expectError(await http(platform.url, 'POST', '/admin/failure-groups/0123456789ABCDEF/retry', { admin: true }), 400, /key/);
    expectError(await http(platform.url, 'POST', '/admin/failure-groups/0123456789abcdef0/retry', { admin: true }), 400, /key/);
    const unknown = '0123456789abcdef';
    expectError(await http(platform.url, 'POST', `/admin/failure-groups/${unknown}/retry`, { admin: true }), 404, new RegExp(unknown));
    expectError(await http(platform.url, 'POST', `/admin/failure-groups/${unknown}/discard`, { admin: true, body: { reason: 'x' } }), 404, new RegExp(unknown));
    expectError(await http(platform.url, 'GET', '/admin/failure-groups?status=RESOLVED', { admin: true }), 400, /status/);
    expectError(await http(platform.url, 'GET', '/admin/failure-groups?limit=0', { admin: true }), 400, /limit/);
    for (const headers of [{}, bearer('not-the-admin-token-at-all')]) {
      expectError(await http(platform.url, 'GET', '/admin/failure-groups', { headers }), 401);
      expectError(await http(platform.url, 'POST', `/admin/failure-groups/${otherOriginGroup.key}/retry`, { headers }), 401);
      expectError(await http(platform.url, 'POST', path, { headers, body: { reason: 'x' } }), 401);
    }
    expect((await rowsOf(otherOriginGroup.key)).map((row) => row.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    expect(await world.query(`SELECT 1 FROM failed_message_actions a JOIN failed_messages f ON f.id = a.failed_message_id WHERE f.failure_group = $1`, [otherOriginGroup.key])).toEqual([]);

    const discarded = await http(platform.url, 'POST', path, { admin: true, body: { reason: 'the provider closed that account' } });
    expect({ status: discarded.status, body: discarded.body }).toEqual({ status: 200, body: { discarded: 3 } });
    for (const row of await rowsOf(otherOriginGroup.key)) {
      const detail = await failedMessage(platform.url, row.id);
      expect(detail).toMatchObject({ status: 'DISCARDED', discardReason: 'the provider closed that account', nextSweepAt: null });
      expect(detail.actions).toEqual([{ action: 'discard', actor: 'admin', reason: 'the provider closed that account', at: expect.any(String) }]);
    }
    expect((await groups()).map((group) => group.key)).not.toContain(otherOriginGroup.key);
    const again = await http(platform.url, 'POST', path, { admin: true, body: { reason: 'again' } });
    expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: { discarded: 0 } });

    // Poison is discarded with its group: that is what becomes of it once understood.
    const points = (await groupOf(SERVICE_QUEUE, /^PointsError/))!;
    const poison = await http(platform.url, 'POST', `/admin/failure-groups/${points.key}/discard`, { admin: true, body: { reason: 'a producer bug, fixed' } });
    expect(poison.body).toEqual({ discarded: 1 });
    expect(await groups()).toEqual([]);
  });
});
