import { randomUUID } from 'node:crypto';
import { RetentionService } from '../src/retention/retention.service';
import { postCallback } from './support/contract-callback';
import { closeSideBySide } from './support/failed-messages';
import { http } from './support/http';
import { MerchantServer } from './support/merchant-server';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { consumersReady, EventObserver, queuesIdle, queueStates } from './support/reliability-broker';
import { coverPastDays } from './support/partitions';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/**
 * SPEC §9 and G10: idempotency markers live PROCESSED_RETENTION (7d), history
 * HISTORY_RETENTION (30d); what is still needed is never pruned. Rows are aged by moving
 * their timestamps back, and a retention round is run at once (`RetentionService.runNow`).
 */
describe('retention (PROCESSED_RETENTION=7d, HISTORY_RETENTION=30d)', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let merchant: MerchantServer;
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    world = await TestWorld.create('retention');
    merchant = await MerchantServer.start();
    platform = await world.start();
    apps.push(platform);
  });
  afterAll(async () => {
    await closeSideBySide(apps);
    await world.destroy();
    await merchant.stop();
  });

  const count = async (sql: string, parameters: unknown[] = []) =>
    (await world.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, parameters))[0].n;
  const available = async (sku: string) => (await http(platform.url, 'GET', `/stock/${sku}`)).body.available as number;
  const prune = (running: RunningApp = platform) => running.app.get(RetentionService).runNow();

  /** `backstop_retention_pruned_total` (rows) or `backstop_retention_partitions_dropped_total` by table, as /metrics reports it. */
  async function prunedMetric(running: RunningApp = platform, metric = 'backstop_retention_pruned_total'): Promise<Record<string, number>> {
    const text = (await http(running.url, 'GET', '/metrics')).text;
    const counts: Record<string, number> = {};
    for (const [, table, value] of text.matchAll(new RegExp(`^${metric}\\{table="([^"]+)"\\} (\\d+)$`, 'gm'))) counts[table] = Number(value);
    return counts;
  }
  const droppedMetric = (running: RunningApp = platform) => prunedMetric(running, 'backstop_retention_partitions_dropped_total');
  /** The day partitions of a table, by name. */
  const partitionsOf = async (table: string) =>
    (await world.query<{ name: string }>(`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1`, [table])).map(
      (row) => row.name,
    );

  it('an order.cancelled redelivered after its marker was pruned releases nothing twice: the reservation refuses it', async () => {
    await consumersReady(world.name, ['stock.release', 'notify.merchant']);
    const observer = await EventObserver.bind(world.rabbitmqUrl, 'test.observer.retention', ['order.cancelled']);
    try {
      await setStock(platform.url, 'RET-RELEASE', 10, 300);
      const order = await placeOrder(platform.url, [{ sku: 'RET-RELEASE', quantity: 3 }], `${merchant.url}/notify`);
      expect((await orderReaches(platform.url, order.id, ['CONFIRMED', 'REJECTED'], 30_000)).status).toBe('CONFIRMED');
      expect(await available('RET-RELEASE')).toBe(7);

      const closed = await postCallback(platform.url, { orderId: order.id, tradeNo: `T-${randomUUID()}`, status: 'TRADE_CLOSED', amount: order.totalAmount });
      expect(closed.text).toBe('success');
      await waitFor(async () => (await available('RET-RELEASE')) === 10, { what: 'the stock to be released', timeoutMs: 30_000 });
      await waitFor(() => merchant.forOrder(order.id).length === 1, { what: 'the merchant to hear of the cancellation', timeoutMs: 30_000 });
      await queuesIdle(world.name, ['stock.release', 'notify.merchant']);

      const cancelled = (await observer.drain()).filter((message) => JSON.parse(message.content.toString()).data.orderId === order.id);
      expect(cancelled).toHaveLength(1);
      const [original] = cancelled;
      const eventId = JSON.parse(original.content.toString()).id as string;
      const marker = () => count(`processed_messages WHERE handler = 'stock.release' AND message_id = $1`, [eventId]);
      expect(await marker()).toBe(1);
      const [released] = await world.query<{ state: string; released_at: Date }>('SELECT state, released_at FROM stock_reservations WHERE order_id = $1', [
        order.id,
      ]);
      expect(released.state).toBe('RELEASED');

      // Eight days later the markers are history: retention drops their day.
      await coverPastDays(world.databaseUrl, 'processed_messages', 8);
      await world.query(`UPDATE processed_messages SET processed_at = now() - interval '8 days'`);
      await prune();
      expect(await marker()).toBe(0);
      expect(await count('processed_messages')).toBe(0);

      // The broker delivers the same message again (same id, same body), as after a lost ack.
      await observer.publish('order.cancelled', original.content, {
        messageId: original.properties.messageId,
        contentType: original.properties.contentType,
        type: original.properties.type,
        persistent: true,
      });
      // Handled (its marker is back) and acknowledged, without a retry or a failure.
      await waitFor(async () => (await marker()) === 1, { what: 'the redelivered order.cancelled to be handled', timeoutMs: 30_000 });
      await queuesIdle(world.name, ['stock.release', 'notify.merchant']);

      expect(await available('RET-RELEASE')).toBe(10);
      expect(await world.query('SELECT state, released_at FROM stock_reservations WHERE order_id = $1', [order.id])).toEqual([released]);
      expect(await count('failed_messages')).toBe(0);
      for (const [queue, state] of await queueStates(world.name)) {
        if (queue.startsWith('stock.release.') || queue.startsWith('notify.merchant.')) expect({ queue, messages: state.messages }).toEqual({ queue, messages: 0 });
      }
      // The merchant was told once: the DELIVERED notification refuses the copy too.
      expect(merchant.forOrder(order.id)).toHaveLength(1);
      expect((await http(platform.url, 'GET', `/orders/${order.id}`)).body).toMatchObject({ status: 'CANCELLED', notification: { state: 'DELIVERED' } });
    } finally {
      await observer.close();
    }
  });

  describe('over aged rows of every kind', () => {
    const seeded = {
      pendingNotification: randomUUID(),
      failedNotification: randomUUID(),
      oldDelivered: randomUUID(),
      recentDelivered: randomUUID(),
      failed: randomUUID(),
      retrying: randomUUID(),
      oldResolved: randomUUID(),
      oldDiscarded: randomUUID(),
      recentResolved: randomUUID(),
      prepare: randomUUID(),
      ready: randomUUID(),
    };

    /** Everything retention may touch, and what it must keep, by the row. */
    async function storage() {
      const ids = (sql: string) => world.query<{ id: string }>(sql).then((rows) => rows.map((row) => row.id).sort());
      return {
        processed: await count('processed_messages'),
        agedProcessed: await count(`processed_messages WHERE processed_at < now() - interval '7 days'`),
        deliveries: await count('deliveries'),
        agedDeliveries: await count(`deliveries WHERE attempted_at < now() - interval '30 days'`),
        notifications: await ids('SELECT event_id AS id FROM notifications'),
        failedMessages: await ids('SELECT id FROM failed_messages'),
        actions: await ids('SELECT failed_message_id AS id FROM failed_message_actions'),
        outbox: await ids('SELECT id FROM outbox'),
      };
    }

    async function seedFailedMessage(id: string, status: string, closedDaysAgo: number | null) {
      await world.query(
        `INSERT INTO failed_messages (id, handler, queue, message_id, routing_key, payload, headers, error, errors, attempts, status,
                                      first_failed_at, last_failed_at, resolved_at)
         VALUES ($1, 'retention.probe', 'retention.probe', $2, 'order.paid', '{}', '{}', 'boom', '[]', 4, $3,
                 now() - interval '60 days', now() - interval '60 days', now() - $4 * interval '1 day')`,
        [id, randomUUID(), status, closedDaysAgo],
      );
      await world.query(`INSERT INTO failed_message_actions (failed_message_id, action, actor, at) VALUES ($1, 'retry', 'ops', now() - interval '59 days')`, [id]);
    }

    async function seedNotification(eventId: string, state: string, daysAgo: number) {
      await world.query(
        `INSERT INTO notifications (event_id, order_id, event_type, state, attempts, created_at, last_attempt_at, delivered_at)
         VALUES ($1, $2, 'order.paid', $3, 7, now() - $4 * interval '1 day', now() - $4 * interval '1 day',
                 CASE WHEN $3 = 'DELIVERED' THEN now() - $4 * interval '1 day' END)`,
        [eventId, randomUUID(), state, daysAgo],
      );
    }

    beforeAll(async () => {
      // Real history first: orders confirmed, paid and notified leave markers, deliveries and notifications.
      await setStock(platform.url, 'RET-AGED', 1_000, 100);
      for (let index = 0; index < 3; index++) {
        const order = await placeOrder(platform.url, [{ sku: 'RET-AGED', quantity: 1 }], `${merchant.url}/notify`);
        await orderReaches(platform.url, order.id, ['CONFIRMED'], 30_000);
        expect((await http(platform.url, 'POST', `/orders/${order.id}/pay`)).status).toBe(200);
        await waitFor(() => merchant.forOrder(order.id).length === 1, { what: `the merchant to hear of order ${order.id}`, timeoutMs: 30_000 });
      }
      await waitFor(async () => (await count(`notifications WHERE state <> 'DELIVERED'`)) === 0, { what: 'every notification delivered' });
      await queuesIdle(world.name, ['stock.reserve', 'orders.stock-result', 'notify.merchant', 'stock.release']);
      await coverPastDays(world.databaseUrl, 'processed_messages', 8);
      await coverPastDays(world.databaseUrl, 'deliveries', 31);
      await world.query(`UPDATE processed_messages SET processed_at = now() - interval '8 days'`);
      await world.query(`UPDATE deliveries SET attempted_at = now() - interval '31 days'`);
      await world.query(`UPDATE notifications SET created_at = now() - interval '31 days', delivered_at = now() - interval '31 days'`);

      // More markers than one batch holds (RETENTION_BATCH), and one that is still young.
      await world.query(
        `INSERT INTO processed_messages (handler, message_id, processed_at)
         SELECT 'retention.probe', gen_random_uuid(), now() - interval '8 days' FROM generate_series(1, 2500)`,
      );
      await world.query(`INSERT INTO processed_messages (handler, message_id, processed_at) VALUES ('retention.probe', gen_random_uuid(), now() - interval '6 days')`);
      // A delivery younger than HISTORY_RETENTION.
      await world.query(
        `INSERT INTO deliveries (event_id, order_id, attempt, url, http_status, duration_ms, delivered, attempted_at)
         VALUES ($1, $2, 1, 'https://merchant.example/notify', 200, 5, true, now() - interval '29 days')`,
        [seeded.recentDelivered, randomUUID()],
      );

      // Still needed however old: notifications not yet delivered, FAILED and RETRYING messages, outbox rows.
      await seedNotification(seeded.pendingNotification, 'PENDING', 60);
      await seedNotification(seeded.failedNotification, 'FAILED', 60);
      await seedNotification(seeded.oldDelivered, 'DELIVERED', 31);
      await seedNotification(seeded.recentDelivered, 'DELIVERED', 29);
      await seedFailedMessage(seeded.failed, 'FAILED', null);
      await seedFailedMessage(seeded.retrying, 'RETRYING', null);
      await seedFailedMessage(seeded.oldResolved, 'RESOLVED', 31);
      await seedFailedMessage(seeded.oldDiscarded, 'DISCARDED', 31);
      await seedFailedMessage(seeded.recentResolved, 'RESOLVED', 29);
      // Not due for the relay or the check-back within this test (next_attempt_at a day ahead).
      await world.query(
        `INSERT INTO outbox (id, state, kind, check_back_id, created_at, next_attempt_at)
         VALUES ($1::uuid, 'PREPARE', 'retention.probe', $1::text, now() - interval '60 days', now() + interval '1 day')`,
        [seeded.prepare],
      );
      await world.query(
        `INSERT INTO outbox (id, state, routing_key, envelope, created_at, next_attempt_at)
         VALUES ($1, 'READY', 'order.paid', '{}', now() - interval '60 days', now() + interval '1 day')`,
        [seeded.ready],
      );
    }, 120_000);

    it('prunes the aged history, keeps what is still needed and what is young, and a second round leaves storage flat', async () => {
      const before = await storage();
      // stock.reserve and orders.stock-result mark each order's events; notify.merchant's guard is the delivered notification.
      expect(before.agedProcessed).toBeGreaterThanOrEqual(2500 + 3 * 2);
      expect(before.agedDeliveries).toBeGreaterThanOrEqual(3);
      const metricBefore = await prunedMetric();
      const droppedBefore = await droppedMetric();
      const partitionsBefore = { processed: await partitionsOf('processed_messages'), deliveries: await partitionsOf('deliveries') };

      await prune();
      const after = await storage();
      expect(after.processed).toBe(1);
      expect(after.agedProcessed).toBe(0);
      expect(after.deliveries).toBe(1);
      expect(after.notifications).toEqual([seeded.pendingNotification, seeded.failedNotification, seeded.recentDelivered].sort());
      expect(after.failedMessages).toEqual([seeded.failed, seeded.retrying, seeded.recentResolved].sort());
      expect(after.actions).toEqual([seeded.failed, seeded.retrying, seeded.recentResolved].sort());
      expect(after.outbox).toEqual([seeded.prepare, seeded.ready].sort());

      // The partitioned history went a day at a time: exactly the days wholly past their retention.
      const dayOf = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
      const dueProcessed = partitionsBefore.processed.filter((name) => name.slice(-8) < dayOf(7));
      const dueDeliveries = partitionsBefore.deliveries.filter((name) => name.slice(-8) < dayOf(30));
      expect(dueProcessed).toContain(`processed_messages_p${dayOf(8)}`);
      expect(dueDeliveries).toContain(`deliveries_p${dayOf(31)}`);
      expect(await partitionsOf('processed_messages')).toEqual(partitionsBefore.processed.filter((name) => !dueProcessed.includes(name)));
      expect(await partitionsOf('deliveries')).toEqual(partitionsBefore.deliveries.filter((name) => !dueDeliveries.includes(name)));
      // The metrics count what went, table by table: partitions of the partitioned, rows of the rest.
      const metric = await prunedMetric();
      const dropped = await droppedMetric();
      const delta = (table: string) => (metric[table] ?? 0) - (metricBefore[table] ?? 0);
      const droppedDelta = (table: string) => (dropped[table] ?? 0) - (droppedBefore[table] ?? 0);
      expect({
        processed_messages: droppedDelta('processed_messages'),
        deliveries: droppedDelta('deliveries'),
        notifications: delta('notifications'),
        failed_messages: delta('failed_messages'),
      }).toEqual({
        processed_messages: dueProcessed.length,
        deliveries: dueDeliveries.length,
        notifications: before.notifications.length - 3,
        failed_messages: 2,
      });

      await prune();
      expect(await storage()).toEqual(after);
    });

    it('discarding dates the row (resolvedAt), so a discard is kept HISTORY_RETENTION from the discard itself', async () => {
      const id = randomUUID();
      await seedFailedMessage(id, 'FAILED', null);
      const discarded = await http(platform.url, 'POST', `/admin/failed-messages/${id}/discard`, { admin: true, body: { reason: 'gone' } });
      expect(discarded.status).toBe(200);
      const detail = (await http(platform.url, 'GET', `/admin/failed-messages/${id}`, { admin: true })).body;
      expect(detail).toMatchObject({ status: 'DISCARDED', resolvedAt: expect.any(String) });
      // Dated by the discard just made: 60 s only rules out a wrong clock or unit, far above any scheduling delay.
      expect(Math.abs(Date.parse(detail.resolvedAt) - Date.now())).toBeLessThan(60_000);
      await prune();
      expect(await count('failed_messages WHERE id = $1', [id])).toBe(1);
    });

    it('two processes pruning at once share the work: every aged row and day goes once, nothing fails', async () => {
      await coverPastDays(world.databaseUrl, 'processed_messages', 8);
      await world.query(
        `INSERT INTO processed_messages (handler, message_id, processed_at)
         SELECT 'retention.race', gen_random_uuid(), now() - interval '8 days' FROM generate_series(1, 5000)`,
      );
      await world.query(
        `INSERT INTO notifications (event_id, order_id, event_type, state, attempts, created_at, last_attempt_at, delivered_at)
         SELECT gen_random_uuid(), gen_random_uuid(), 'order.paid', 'DELIVERED', 1, now() - interval '31 days', now() - interval '31 days', now() - interval '31 days'
           FROM generate_series(1, 2500)`,
      );
      const second = await world.start();
      apps.push(second);
      const metricsOf = async (running: RunningApp) => ({
        days: (await droppedMetric(running)).processed_messages ?? 0,
        notifications: (await prunedMetric(running)).notifications ?? 0,
      });
      const sum = async () => {
        const [one, other] = [await metricsOf(platform), await metricsOf(second)];
        return { days: one.days + other.days, notifications: one.notifications + other.notifications };
      };
      const before = await sum();
      await Promise.all([prune(platform), prune(second)]);
      expect(await count(`processed_messages WHERE handler = 'retention.race'`)).toBe(0);
      expect(await count(`notifications WHERE delivered_at < now() - interval '30 days'`)).toBe(0);
      const after = await sum();
      expect({ days: after.days - before.days, notifications: after.notifications - before.notifications }).toEqual({ days: 1, notifications: 2500 });
    });

    it('walks each table forward from where its last batch stopped, and skips no row that shares that instant', async () => {
      // Three batches' worth (RETENTION_BATCH = 250), a microsecond apart in runs of seven equal
      // instants, so each batch ends inside a run: the next starts at that instant, not after it.
      const instants = `generate_series(1, 700) AS i, LATERAL (SELECT now() - interval '31 days' + (i / 7) * interval '1 microsecond' AS at) AS t`;
      await world.query(
        `INSERT INTO notifications (event_id, order_id, event_type, state, attempts, created_at, last_attempt_at, delivered_at)
         SELECT gen_random_uuid(), gen_random_uuid(), 'order.paid', 'DELIVERED', 1, at, at, at FROM ${instants}`,
      );
      await world.query(
        `INSERT INTO failed_messages (id, handler, queue, message_id, routing_key, payload, headers, error, errors, attempts, status,
                                      first_failed_at, last_failed_at, resolved_at)
         SELECT gen_random_uuid(), 'retention.walk', 'retention.walk', gen_random_uuid(), 'order.paid', '{}', '{}', 'boom', '[]', 4, 'RESOLVED',
                at - interval '1 day', at - interval '1 day', at FROM ${instants}`,
      );
      const before = await prunedMetric();
      await prune();
      expect(await count(`notifications WHERE state = 'DELIVERED' AND delivered_at < now() - interval '30 days'`)).toBe(0);
      expect(await count(`failed_messages WHERE handler = 'retention.walk'`)).toBe(0);
      const after = await prunedMetric();
      expect({ notifications: after.notifications - before.notifications, failed: after.failed_messages - before.failed_messages }).toEqual({ notifications: 700, failed: 700 });
    });
  });
});
