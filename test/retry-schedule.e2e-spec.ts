import { WireTap } from './support/contract-wire';
import { http } from './support/http';
import { MerchantServer } from './support/merchant-server';
import { deliveriesOf, payByCallback, verifyNotification } from './support/notify-helpers';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { queueDepths } from './support/rabbitmqctl';
import {
  attemptLog,
  expectOnSchedule,
  failFirst,
  lateBoundMs,
  notificationOf,
  notificationReaches,
  queueDeclarations,
  retryGaps,
  staysAt,
} from './support/retry-helpers';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** TestWorld.environment's NOTIFY_RETRY_SCHEDULE (100ms,200ms,400ms): 1 + 3 attempts. */
const NOTIFY_DELAYS = [100, 200, 400];
const LONGEST_DELAY = Math.max(...NOTIFY_DELAYS);
/** "Nothing more arrives" is watched for the longest delay twice over, plus G4's lateness bound. */
const QUIET_WINDOW_MS = 2 * LONGEST_DELAY + lateBoundMs(LONGEST_DELAY);

/**
 * SPEC §6 and §8, G3–G5: the stepped retry schedule of merchant notifications on real
 * delay queues, against a real merchant endpoint, timed by the platform's delivery log.
 */
describe('retry schedule', () => {
  const merchants: MerchantServer[] = [];

  async function merchant(): Promise<MerchantServer> {
    const server = await MerchantServer.start();
    merchants.push(server);
    return server;
  }

  afterAll(async () => {
    for (const server of merchants) await server.stop();
  });

  /** One order of 2 units of a fresh SKU, confirmed, then paid through the signed gateway callback. */
  async function paidOrder(platform: RunningApp, sku: string, notifyUrl: string) {
    await setStock(platform.url, sku, 10, 1500);
    const order = await placeOrder(platform.url, [{ sku, quantity: 2 }], notifyUrl);
    expect((await orderReaches(platform.url, order.id, ['CONFIRMED', 'REJECTED'])).status).toBe('CONFIRMED');
    await payByCallback(platform.url, order);
    await orderReaches(platform.url, order.id, ['PAID']);
    return order;
  }

  /** An order for more than there is: rejected, and notified without any payment. */
  async function rejectedOrder(platform: RunningApp, sku: string, notifyUrl: string) {
    await setStock(platform.url, sku, 1, 700);
    const order = await placeOrder(platform.url, [{ sku, quantity: 2 }], notifyUrl);
    expect((await orderReaches(platform.url, order.id, ['CONFIRMED', 'REJECTED'])).status).toBe('REJECTED');
    return order;
  }

  describe('with the test schedule 100ms,200ms,400ms', () => {
    let world: TestWorld;
    let platform: RunningApp;

    beforeAll(async () => {
      world = await TestWorld.create('retry_schedule');
      platform = await world.start();
    });
    afterAll(() => world?.destroy());

    it('G3/G4: retries a failing merchant on the schedule with one webhook-id, and never after its success', async () => {
      const shop = await merchant();
      failFirst(shop, 3);
      const order = await paidOrder(platform, 'RETRY-OK-1', shop.url);

      const delivered = await notificationReaches(platform.url, order.id, 'DELIVERED');
      const deliveries = await waitFor(async () => {
        const rows = await deliveriesOf(platform.url, order.id);
        return rows.length >= 4 ? rows : undefined;
      }, { what: `4 delivery attempts for ${order.id}` });

      const requests = shop.forOrder(order.id);
      expect(requests).toHaveLength(4);
      const ids = new Set(requests.map((request) => request.headers['webhook-id']));
      expect(ids.size).toBe(1);
      // Every attempt is a valid Standard Webhooks notification of the same event.
      for (const request of requests) expect(verifyNotification(request)).toMatchObject({ orderId: order.id, status: 'PAID' });
      expect(requests[0].body.id).toBe([...ids][0]);

      // From each failure to the next attempt, by the delivery log: never below the delay (the
      // TTL), late only by the platform's own work, within G4's bound (margins: retry-helpers).
      const gaps = retryGaps(await attemptLog(world, order.id));
      console.info(`G3/G4 gaps for 100ms,200ms,400ms: ${gaps.join(', ')} ms`);
      expectOnSchedule(gaps, NOTIFY_DELAYS);

      expect(delivered).toMatchObject({ state: 'DELIVERED', attempts: 4 });
      expect(delivered.nextAttemptAt).toBeUndefined();
      expect(deliveries.map(({ attempt, httpStatus, delivered: ok, eventId }) => ({ attempt, httpStatus, ok, eventId }))).toEqual([
        { attempt: 1, httpStatus: 500, ok: false, eventId: [...ids][0] },
        { attempt: 2, httpStatus: 500, ok: false, eventId: [...ids][0] },
        { attempt: 3, httpStatus: 500, ok: false, eventId: [...ids][0] },
        { attempt: 4, httpStatus: 200, ok: true, eventId: [...ids][0] },
      ]);

      // Nothing left waiting in notify.merchant's delay queues, and nothing arrives after the success.
      await waitFor(async () => {
        const depths = await queueDepths(world.name);
        return [...depths].every(([name, depth]) => !name.startsWith('notify.merchant') || depth === 0);
      }, { what: 'notify.merchant and its delay queues to be empty', intervalMs: 100 });
      await staysAt(() => shop.forOrder(order.id).length, 4, QUIET_WINDOW_MS, 'requests after the success');
      expect(await deliveriesOf(platform.url, order.id)).toHaveLength(4);
      expect(await notificationOf(platform.url, order.id)).toMatchObject({ state: 'DELIVERED', attempts: 4 });
    });

    it('G3: a merchant that never succeeds gets 1 + 3 attempts, then the failure is recorded for ops', async () => {
      const shop = await merchant();
      failFirst(shop, Infinity);
      const order = await rejectedOrder(platform, 'RETRY-NEVER-1', shop.url);

      const failed = await notificationReaches(platform.url, order.id, 'FAILED');
      expect(failed).toMatchObject({ state: 'FAILED', attempts: 4 });
      const requests = shop.forOrder(order.id);
      expect(requests).toHaveLength(4);
      const eventId = requests[0].headers['webhook-id'] as string;
      expect(new Set(requests.map((request) => request.headers['webhook-id']))).toEqual(new Set([eventId]));
      // Timed by the delivery log as above: the TTL below, G4's late bound above.
      const gaps = retryGaps(await attemptLog(world, order.id));
      console.info(`exhaustion gaps for 100ms,200ms,400ms: ${gaps.join(', ')} ms`);
      expectOnSchedule(gaps, NOTIFY_DELAYS);

      const row = await waitFor(async () => {
        const answer = await http(platform.url, 'GET', '/admin/failed-messages?handler=notify.merchant', { admin: true });
        return (answer.body.items as { messageId: string; id: string }[]).find((item) => item.messageId === eventId);
      }, { what: `a failed_messages row for ${eventId}` });
      expect(row).toMatchObject({ handler: 'notify.merchant', queue: 'notify.merchant', status: 'FAILED', attempts: 4, routingKey: 'order.rejected' });

      const detail = await http(platform.url, 'GET', `/admin/failed-messages/${row.id}`, { admin: true });
      expect(detail.status).toBe(200);
      expect(detail.body.errors.map((entry: { attempt: number; error: string }) => entry.attempt)).toEqual([1, 2, 3, 4]);
      for (const entry of detail.body.errors) expect(entry.error).toMatch(/HTTP 500/);
      const [stored] = await world.query<{ status: string; attempts: number; errors: unknown[] }>(
        `SELECT status, attempts, errors FROM failed_messages WHERE handler = 'notify.merchant' AND message_id = $1`,
        [eventId],
      );
      expect({ status: stored.status, attempts: stored.attempts, errors: stored.errors.length }).toEqual({ status: 'FAILED', attempts: 4, errors: 4 });

      expect((await deliveriesOf(platform.url, order.id)).map(({ attempt }) => attempt)).toEqual([1, 2, 3, 4]);
      // The last attempt was the last: no fifth request within twice the longest delay.
      await staysAt(() => shop.forOrder(order.id).length, 4, QUIET_WINDOW_MS, 'requests after the last attempt');
    });

    it('G5: notify retries go to notify.merchant alone; nothing extra crosses order.events, no other handler runs again', async () => {
      const tap = await WireTap.open(world.rabbitmqUrl, ['#']);
      try {
        const shop = await merchant();
        failFirst(shop, 3);
        const order = await paidOrder(platform, 'RETRY-G5-1', shop.url);
        expect((await http(platform.url, 'GET', '/stock/RETRY-G5-1')).body.available).toBe(8);

        await notificationReaches(platform.url, order.id, 'DELIVERED');
        expect(shop.forOrder(order.id)).toHaveLength(4);
        // Let the broker route whatever might still follow the retries (twice the longest delay), then read all of it.
        await staysAt(() => shop.forOrder(order.id).length, 4, QUIET_WINDOW_MS, 'requests after the success');
        await tap.caughtUp();

        const ofOrder = tap.received.filter((message) => message.body.data?.orderId === order.id || message.body.data?.id === order.id);
        expect(ofOrder.map((message) => message.routingKey).sort()).toEqual(['order.confirmed', 'order.created', 'order.paid', 'stock.reserved']);
        for (const message of ofOrder) expect(message.body.type).toBe(message.routingKey);
        const paidEvent = ofOrder.find((message) => message.routingKey === 'order.paid')!;
        expect(shop.forOrder(order.id)[0].headers['webhook-id']).toBe(paidEvent.body.id);

        // Each handler ran (committed its effect) once per event of this order; notify.merchant's
        // effect is the delivered notification, its own guard against a second send.
        const processed = await world.query<{ handler: string; count: string }>(
          `SELECT handler, count(*) FROM processed_messages WHERE message_id = ANY($1::uuid[]) GROUP BY handler ORDER BY handler`,
          [ofOrder.map((message) => message.body.id)],
        );
        expect(Object.fromEntries(processed.map(({ handler, count }) => [handler, Number(count)]))).toEqual({
          'orders.stock-result': 1,
          'stock.reserve': 1,
        });
        const delivered = await world.query(`SELECT attempt FROM deliveries WHERE event_id = $1 AND delivered`, [paidEvent.body.id]);
        expect(delivered).toEqual([{ attempt: 4 }]);
        // Across the whole world: stock.reserve ran once per order, orders.stock-result once per stock result.
        const [totals] = await world.query<{ orders: string; reserve: string; results: string }>(
          `SELECT (SELECT count(*) FROM orders) AS orders,
                  (SELECT count(*) FROM processed_messages WHERE handler = 'stock.reserve') AS reserve,
                  (SELECT count(*) FROM processed_messages WHERE handler = 'orders.stock-result') AS results`,
        );
        expect({ reserve: Number(totals.reserve), results: Number(totals.results) }).toEqual({ reserve: Number(totals.orders), results: Number(totals.orders) });
        // What the stock handler did is unchanged by the retries: 2 of 10 taken, once.
        expect((await http(platform.url, 'GET', '/stock/RETRY-G5-1')).body.available).toBe(8);
        expect(await world.query(`SELECT state FROM stock_reservations WHERE order_id = $1`, [order.id])).toHaveLength(1);
        expect((await http(platform.url, 'GET', `/orders/${order.id}`)).body.status).toBe('PAID');
        // No other handler failed or was retried into a failure record.
        expect(await world.query(`SELECT handler FROM failed_messages WHERE handler <> 'notify.merchant'`)).toEqual([]);
      } finally {
        await tap.close();
      }
    });
  });

  describe('G4: a long delay never holds up a short one (NOTIFY_RETRY_SCHEDULE=200ms,5s)', () => {
    let world: TestWorld;
    let platform: RunningApp;

    beforeAll(async () => {
      world = await TestWorld.create('retry_hol');
      platform = await world.start({ NOTIFY_RETRY_SCHEDULE: '200ms,5s' });
    });
    afterAll(() => world?.destroy());

    it('retries B after 200 ms while A waits out 5 s in notify.merchant.retry.5s', async () => {
      const shopA = await merchant();
      const shopB = await merchant();
      failFirst(shopA, 2);
      failFirst(shopB, 1);

      // B is confirmed up front, so that once A waits in the 5 s queue only the payment (one hop) stands before B's first attempt.
      await setStock(platform.url, 'RETRY-HOL-B', 10, 900);
      const orderB = await placeOrder(platform.url, [{ sku: 'RETRY-HOL-B', quantity: 1 }], shopB.url);
      expect((await orderReaches(platform.url, orderB.id, ['CONFIRMED', 'REJECTED'])).status).toBe('CONFIRMED');

      const orderA = await rejectedOrder(platform, 'RETRY-HOL-A', shopA.url);
      // A failed twice: its message now sits in the 5 s delay queue.
      await waitFor(() => shopA.forOrder(orderA.id).length === 2, { what: "A's second attempt", timeoutMs: 10_000 });
      await waitFor(async () => (await queueDepths(world.name)).get('notify.merchant.retry.5s') === 1, {
        what: "A's message in notify.merchant.retry.5s",
        intervalMs: 50,
      });

      await payByCallback(platform.url, orderB);
      await notificationReaches(platform.url, orderB.id, 'DELIVERED', 10_000);
      expect(shopB.forOrder(orderB.id)).toHaveLength(2);
      expect(shopA.forOrder(orderA.id)).toHaveLength(2);
      // Every instant below is the platform's own, from the delivery log (one clock), so the
      // orderings are exact and the gaps carry none of the test process's scheduling.
      const [a1, a2] = await attemptLog(world, orderA.id);
      const logB = await attemptLog(world, orderB.id);
      const [b1, b2] = logB;
      // The premise held: B's first attempt started after A's second had failed, while A's message waited out its 5 s.
      expect(b1.startedAt).toBeGreaterThan(a2.endedAt!);
      expect(b1.startedAt).toBeLessThan(a2.endedAt! + 5_000);

      const [gapB] = retryGaps(logB);
      console.info(`HOL: B's gap ${gapB} ms (200 ms), B retried ${Math.round(b2.startedAt - a2.endedAt!)} ms after A's 2nd attempt failed`);
      // The TTL below, G4's late bound above (margins: retry-helpers).
      expectOnSchedule([gapB], [200]);
      // B was retried long before A's 5 s retry was due: a full late bound (500 ms) ahead of it.
      expect(b2.startedAt).toBeLessThan(a2.endedAt! + 5_000 - lateBoundMs(5_000));

      // A's retry then comes on its own schedule: 200 ms, then 5 s.
      await notificationReaches(platform.url, orderA.id, 'DELIVERED', 15_000);
      expect(shopA.forOrder(orderA.id)).toHaveLength(3);
      const logA = await attemptLog(world, orderA.id);
      console.info(`HOL: A's gaps ${retryGaps(logA).join(', ')} ms (200 ms, 5 s)`);
      expectOnSchedule(retryGaps(logA), [200, 5_000]);
      expect(b2.startedAt).toBeLessThan(logA[2].startedAt);
      expect(a1.startedAt).toBeLessThan(b1.startedAt);
    });
  });

  describe('quorum queues (QUEUE_TYPE=quorum)', () => {
    let world: TestWorld;
    let platform: RunningApp;

    beforeAll(async () => {
      world = await TestWorld.create('retry_quorum');
      platform = await world.start({ QUEUE_TYPE: 'quorum' });
    });
    afterAll(() => world?.destroy());

    it('declares every handler, delay and dead-letter queue as quorum', async () => {
      const expected = [
        'notify.merchant',
        'notify.merchant.dlq',
        ...NOTIFY_DELAYS.map((delay) => `notify.merchant.retry.${delay}ms`),
        ...['stock.reserve', 'stock.release', 'orders.stock-result'].flatMap((queue) => [
          queue,
          `${queue}.dlq`,
          `${queue}.retry.100ms`,
          `${queue}.retry.200ms`,
        ]),
      ];
      const queues = await waitFor(async () => {
        const declared = await queueDeclarations(world.name);
        return expected.every((name) => declared.has(name)) ? declared : undefined;
      }, { what: `queues ${expected.join(', ')} in ${world.name}`, intervalMs: 250 });
      expect(expected.filter((name) => queues.get(name)!.type !== 'quorum')).toEqual([]);
      // A delay queue keeps its TTL and dead-letters to its handler's queue alone.
      const delay = queues.get('notify.merchant.retry.200ms')!.arguments;
      expect(delay).toMatch(/x-message-ttl[^\d]+200\b/);
      expect(delay).toMatch(/x-dead-letter-routing-key[^a-z]+notify\.merchant\b/);
    });

    it('retries a failing merchant on the schedule and delivers', async () => {
      const shop = await merchant();
      failFirst(shop, 3);
      const order = await paidOrder(platform, 'RETRY-QQ-1', shop.url);

      const delivered = await notificationReaches(platform.url, order.id, 'DELIVERED');
      expect(delivered).toMatchObject({ state: 'DELIVERED', attempts: 4 });
      const requests = shop.forOrder(order.id);
      expect(requests).toHaveLength(4);
      expect(new Set(requests.map((request) => request.headers['webhook-id'])).size).toBe(1);
      // Timed by the delivery log: the TTL below, G4's late bound above (margins: retry-helpers).
      const gaps = retryGaps(await attemptLog(world, order.id));
      console.info(`quorum gaps for 100ms,200ms,400ms: ${gaps.join(', ')} ms`);
      expectOnSchedule(gaps, NOTIFY_DELAYS);
      expect((await deliveriesOf(platform.url, order.id)).map(({ attempt, delivered: ok }) => ({ attempt, ok }))).toEqual([
        { attempt: 1, ok: false },
        { attempt: 2, ok: false },
        { attempt: 3, ok: false },
        { attempt: 4, ok: true },
      ]);
      await staysAt(() => shop.forOrder(order.id).length, 4, QUIET_WINDOW_MS, 'requests after the success');
    });
  });
});
