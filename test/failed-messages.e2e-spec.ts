import { connect } from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Client } from 'pg';
import { FailedMessagesService } from '../src/compensation/failed-messages/failed-messages.service';
import { expectError } from './support/contract-errors';
import {
  bearer,
  blockDatabase,
  closeSideBySide,
  databaseClient,
  expectOnTime,
  failedMessage,
  FailedMessageView,
  holdsFor,
  maintenanceClient,
  notifyFailureOf,
  notifyFailureReaches,
  unblockDatabase,
} from './support/failed-messages';
import { http } from './support/http';
import { MerchantServer } from './support/merchant-server';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { queueDepths } from './support/rabbitmqctl';
import { consumersReady, queuesIdle, queueStates } from './support/reliability-broker';
import { attemptLog } from './support/retry-helpers';
import { ADMIN_TOKEN, RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** A second operator's token: ADMIN_TOKEN may name several operators, and the audit trail records which one acted. */
const BOB_TOKEN = 'bob-ops-token-0123456789abcdef';
const OPERATORS = `${ADMIN_TOKEN},ops-bob:${BOB_TOKEN}`;

const refuse = (_: unknown, response: ServerResponse) => {
  response.statusCode = 500;
  response.end('merchant is down');
};
const accept = (_: unknown, response: ServerResponse) => response.end('success');

/** An order there is no stock for: it is REJECTED at once and its order.rejected goes to the merchant. */
async function rejectedOrder(base: string, sku: string, notifyUrl: string) {
  await setStock(base, sku, 0);
  const order = await placeOrder(base, [{ sku, quantity: 1 }], notifyUrl);
  expect((await orderReaches(base, order.id, ['CONFIRMED', 'REJECTED'])).status).toBe('REJECTED');
  return order;
}

const actionsOf = (detail: { actions: { action: string; actor: string }[] }) => detail.actions.map(({ action, actor }) => ({ action, actor }));

describe('failed messages: sweeper rounds and ops retry (SWEEP_SCHEDULE=1s,2s)', () => {
  const SWEEP_SCHEDULE_MS = [1_000, 2_000];
  const SWEEP_INTERVAL_MS = 100;
  let world: TestWorld;
  let platform: RunningApp;
  let merchant: MerchantServer;

  beforeAll(async () => {
    world = await TestWorld.create('failed_sweep');
    merchant = await MerchantServer.start();
    platform = await world.start({ SWEEP_SCHEDULE: '1s,2s', SWEEP_INTERVAL: '100ms', ADMIN_TOKEN: OPERATORS });
  });
  afterAll(async () => {
    await world.destroy();
    await merchant.stop();
  });

  it('records an exhausted notification with every error, sweeps it on schedule, stops after the last round, and resolves it on ops retry', async () => {
    merchant.answerWith(refuse);
    const order = await rejectedOrder(platform.url, 'FM-SWEEP-1', merchant.url);

    // Exhaustion: 1 + 3 attempts (NOTIFY_RETRY_SCHEDULE=100ms,200ms,400ms), then the row.
    const first = await notifyFailureReaches(platform.url, order.id, (row) => row.status === 'FAILED' && row.sweepCount === 0, 'FAILED, not yet swept');
    const detail0 = await failedMessage(platform.url, first.id);
    expect(detail0).toMatchObject({
      handler: 'notify.merchant',
      queue: 'notify.merchant',
      routingKey: 'order.rejected',
      attempts: 4,
      status: 'FAILED',
      poison: false,
      sweepCount: 0,
      resolvedAt: null,
      discardReason: null,
      actions: [],
    });
    // The payload is the event envelope exactly as published.
    expect(detail0.payload).toEqual({
      id: detail0.messageId,
      type: 'order.rejected',
      occurredAt: expect.any(String),
      data: { orderId: order.id, reason: expect.any(String) },
    });
    // The headers of the last delivery: its attempt number (SPEC §6), without the broker's dead-letter bookkeeping.
    expect(detail0.headers).toMatchObject({ 'x-attempt': 4 });
    expect(detail0.headers).not.toHaveProperty('x-death');
    expect(detail0.error).toMatch(/HTTP 500/);
    expect(detail0.errors.map((entry) => entry.attempt)).toEqual([1, 2, 3, 4]);
    for (const entry of detail0.errors) expect(entry.error).toMatch(/HTTP 500/);
    expect(merchant.forOrder(order.id)).toHaveLength(4);
    const lastFailed0 = Date.parse(detail0.lastFailedAt);
    expect(Date.parse(detail0.nextSweepAt!)).toBe(lastFailed0 + SWEEP_SCHEDULE_MS[0]);

    // Round 1, due at lastFailedAt + 1s: one re-run, which fails again.
    const round1 = await notifyFailureReaches(platform.url, order.id, (row) => row.status === 'FAILED' && row.sweepCount === 1, 'swept once');
    expect(merchant.forOrder(order.id)).toHaveLength(5);
    // When the re-run started, by the delivery log. Never before it was due (the sweeper claims
    // by next_sweep_at <= now(), the clock attempted_at is read from), so only lateness varies:
    // one SWEEP_INTERVAL (100 ms) plus the publish, consume and claim, within G4's 250 ms.
    const rerun1 = (await attemptLog(world, order.id))[4];
    expect(rerun1.startedAt).toBeGreaterThanOrEqual(lastFailed0 + SWEEP_SCHEDULE_MS[0]);
    expectOnTime(rerun1.startedAt, lastFailed0 + SWEEP_SCHEDULE_MS[0], SWEEP_SCHEDULE_MS[0], 'sweep round 1');
    const lastFailed1 = Date.parse(round1.lastFailedAt);
    expect(lastFailed1).toBeGreaterThan(lastFailed0);
    expect(Date.parse(round1.nextSweepAt!)).toBe(lastFailed1 + SWEEP_SCHEDULE_MS[1]);
    expect(round1.attempts).toBe(5);

    // Round 2, due at the new lastFailedAt + 2s: the schedule's last entry, so no next sweep.
    const round2 = await notifyFailureReaches(platform.url, order.id, (row) => row.status === 'FAILED' && row.sweepCount === 2, 'swept twice');
    expect(merchant.forOrder(order.id)).toHaveLength(6);
    // By the delivery log as in round 1: not before due, late by at most G4's 250 ms.
    const rerun2 = (await attemptLog(world, order.id))[5];
    expect(rerun2.startedAt).toBeGreaterThanOrEqual(lastFailed1 + SWEEP_SCHEDULE_MS[1]);
    expectOnTime(rerun2.startedAt, lastFailed1 + SWEEP_SCHEDULE_MS[1], SWEEP_SCHEDULE_MS[1], 'sweep round 2');
    expect(round2.nextSweepAt).toBeNull();
    const detail2 = await failedMessage(platform.url, first.id);
    expect(detail2.errors.map((entry) => entry.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(actionsOf(detail2)).toEqual([
      { action: 'sweep', actor: 'sweeper' },
      { action: 'sweep', actor: 'sweeper' },
    ]);

    // Nothing more: a third round, had one been scheduled, would come at most one schedule
    // step (the longest entry, 2s) after the last failure, picked up within one sweep
    // interval (100ms). Watching for twice that step plus a second of slack covers it.
    const window = 2 * Math.max(...SWEEP_SCHEDULE_MS) + SWEEP_INTERVAL_MS + 1_000;
    await holdsFor(
      async () => {
        const seen = merchant.forOrder(order.id).length;
        if (seen !== 6) return `the merchant got ${seen} requests`;
        const row = await notifyFailureOf(platform.url, order.id);
        return row?.status === 'FAILED' && row.sweepCount === 2 ? true : `row is ${row?.status} after ${row?.sweepCount} sweeps`;
      },
      window,
      'no sweep after the last round',
    );

    // Ops re-runs it; the merchant has recovered.
    merchant.answerWith(accept);
    const retriedAt = Date.now();
    const retry = await http(platform.url, 'POST', `/admin/failed-messages/${first.id}/retry`, { headers: bearer(BOB_TOKEN) });
    expect(retry.status).toBe(202);
    const resolved = await notifyFailureReaches(platform.url, order.id, (row) => row.status === 'RESOLVED', 'RESOLVED');
    expect(resolved.resolvedAt).not.toBeNull();
    // Cause before effect on one clock (the platform runs in this process): load only widens
    // the gap; 5 ms is for the whole-ms stamps.
    expect(Date.parse(resolved.resolvedAt!)).toBeGreaterThanOrEqual(retriedAt - 5);
    expect(resolved.nextSweepAt).toBeNull();
    const received = merchant.forOrder(order.id);
    expect(received).toHaveLength(7);
    // One event, one webhook-id on every attempt, sweeps and the ops re-run included (G3).
    expect(new Set(received.map((request) => request.headers['webhook-id']))).toEqual(new Set([detail0.messageId]));
    expect((await http(platform.url, 'GET', `/orders/${order.id}`)).body.notification.state).toBe('DELIVERED');

    const detail = await failedMessage(platform.url, first.id);
    expect(actionsOf(detail)).toEqual([
      { action: 'sweep', actor: 'sweeper' },
      { action: 'sweep', actor: 'sweeper' },
      { action: 'retry', actor: 'ops-bob' },
    ]);
    expect(detail.errors).toHaveLength(6);
    // A resolved row is not re-run again.
    expectError(await http(platform.url, 'POST', `/admin/failed-messages/${first.id}/retry`, { admin: true }), 409);
  });
});

describe('failed messages: discard and listing (SWEEP_SCHEDULE=3s)', () => {
  const FIRST_SWEEP_MS = 3_000;
  const SWEEP_INTERVAL_MS = 100;
  let world: TestWorld;
  let platform: RunningApp;
  let merchant: MerchantServer;

  beforeAll(async () => {
    world = await TestWorld.create('failed_ops');
    merchant = await MerchantServer.start();
    merchant.answerWith(refuse);
    platform = await world.start({ SWEEP_SCHEDULE: '3s,3s', SWEEP_INTERVAL: '100ms' });
  });
  afterAll(async () => {
    await world.destroy();
    await merchant.stop();
  });

  it('discards a FAILED row with a reason; it is never re-run, by the sweeper or by ops', async () => {
    const order = await rejectedOrder(platform.url, 'FM-DISCARD-1', merchant.url);
    const row = await notifyFailureReaches(platform.url, order.id, (found) => found.status === 'FAILED', 'FAILED');
    const dueAt = Date.parse(row.nextSweepAt!);
    const path = `/admin/failed-messages/${row.id}/discard`;

    expectError(await http(platform.url, 'POST', path, { admin: true, body: {} }), 400, /reason/);
    expectError(await http(platform.url, 'POST', path, { admin: true, body: { reason: '' } }), 400, /reason/);
    expect((await failedMessage(platform.url, row.id)).status).toBe('FAILED');

    const discarded = await http(platform.url, 'POST', path, { admin: true, body: { reason: 'merchant closed its account' } });
    expect(discarded.status).toBe(200);
    expect(discarded.body).toEqual({ id: row.id, status: 'DISCARDED' });
    const detail = await failedMessage(platform.url, row.id);
    expect(detail).toMatchObject({ status: 'DISCARDED', discardReason: 'merchant closed its account', nextSweepAt: null, sweepCount: 0 });
    expect(detail.actions).toEqual([{ action: 'discard', actor: 'admin', reason: 'merchant closed its account', at: expect.any(String) }]);
    // The discard came before the row was due, so the sweeper would have re-run it otherwise.
    // Both instants are the platform's; the discard follows the row's appearance by a few
    // requests, against 3 s of schedule.
    expect(Date.parse(detail.actions[0].at)).toBeLessThan(dueAt);

    expectError(await http(platform.url, 'POST', `/admin/failed-messages/${row.id}/retry`, { admin: true }), 409, /DISCARDED/);
    expectError(await http(platform.url, 'POST', path, { admin: true, body: { reason: 'again' } }), 409);
    const bulk = await http(platform.url, 'POST', '/admin/failed-messages/retry', { admin: true, body: { handler: 'notify.merchant' } });
    expect(bulk.status).toBe(202);
    expect(bulk.body).toEqual({ count: 0, skipped: 0 });
    expectError(await http(platform.url, 'POST', '/admin/failed-messages/retry', { admin: true, body: { status: 'DISCARDED' } }), 400, /status/);

    // Had the discard not stopped it, the sweeper would re-run the row at `dueAt` (lastFailedAt
    // + the first SWEEP_SCHEDULE entry), within one SWEEP_INTERVAL. Watch until a full schedule
    // step past that, so even a sweep one interval late is caught.
    const window = dueAt + FIRST_SWEEP_MS + SWEEP_INTERVAL_MS - Date.now();
    await holdsFor(
      async () => {
        const seen = merchant.forOrder(order.id).length;
        if (seen !== 4) return `the merchant got ${seen} requests`;
        const now = await failedMessage(platform.url, row.id);
        return now.status === 'DISCARDED' && now.actions.length === 1 ? true : `row is ${now.status} with ${now.actions.length} actions`;
      },
      window,
      'a discarded row is never re-run',
    );
  });

  it('lists by status and handler, pages with limit and cursor, and validates its input', async () => {
    // Rows written directly with every status, with no next sweep so the sweeper leaves them
    // alone; timestamps in whole milliseconds (as the platform writes them), three per instant
    // so that paging has to break ties on the id.
    const base = Date.now() - 3_600_000;
    const seeded: { id: string; handler: string; status: string }[] = [
      ...['FAILED', 'FAILED', 'FAILED', 'FAILED', 'RESOLVED', 'RESOLVED', 'DISCARDED', 'DISCARDED', 'RETRYING'].map((status) => ({
        id: randomUUID(),
        handler: 'listing.alpha',
        status,
      })),
      ...['FAILED', 'FAILED', 'FAILED', 'RESOLVED', 'RESOLVED'].map((status) => ({ id: randomUUID(), handler: 'listing.beta', status })),
    ];
    for (const [index, row] of seeded.entries()) {
      const at = new Date(base + Math.floor(index / 3) * 1_000);
      await world.query(
        `INSERT INTO failed_messages (id, handler, queue, message_id, routing_key, payload, headers, error, errors, attempts, status,
           sweep_count, first_failed_at, last_failed_at, next_sweep_at)
         VALUES ($1, $2, $2, $3, 'order.rejected', '{}', '{}', 'seeded', '[]', 1, $4, 0, $5, $5, NULL)`,
        [row.id, row.handler, randomUUID(), row.status, at],
      );
    }
    const idsOf = (handler: string, status?: string) =>
      seeded.filter((row) => row.handler === handler && (!status || row.status === status)).map((row) => row.id).sort();

    const list = async (query: string) => {
      const answer = await http(platform.url, 'GET', `/admin/failed-messages?${query}`, { admin: true });
      expect({ query, status: answer.status }).toEqual({ query, status: 200 });
      return answer.body as { items: FailedMessageView[]; nextCursor: string | null };
    };

    // Paging: every row once, newest first, never more than `limit` a page.
    const paged: FailedMessageView[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: FailedMessageView[]; nextCursor: string | null } = await list(
        `handler=listing.alpha&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 20);
    expect(cursor).toBeNull();
    expect(pages).toBe(5);
    expect(paged.map((row) => row.id).sort()).toEqual(idsOf('listing.alpha'));
    expect(new Set(paged.map((row) => row.id)).size).toBe(paged.length);
    for (let index = 1; index < paged.length; index += 1) {
      const [newer, older] = [paged[index - 1], paged[index]];
      const order = Date.parse(newer.firstFailedAt) - Date.parse(older.firstFailedAt) || (newer.id > older.id ? 1 : -1);
      expect(order).toBeGreaterThan(0);
    }
    // A page size that divides the rows exactly ends with nextCursor null, not an empty page.
    const exact = await list('handler=listing.beta&limit=5');
    expect(exact.items.map((row) => row.id).sort()).toEqual(idsOf('listing.beta'));
    expect(exact.nextCursor).toBeNull();

    // Filters, alone and together.
    expect((await list('handler=listing.alpha&status=FAILED')).items.map((row) => row.id).sort()).toEqual(idsOf('listing.alpha', 'FAILED'));
    expect((await list('handler=listing.beta&status=RESOLVED')).items.map((row) => row.id).sort()).toEqual(idsOf('listing.beta', 'RESOLVED'));
    expect((await list('handler=listing.alpha&status=RETRYING')).items.map((row) => row.id)).toEqual(idsOf('listing.alpha', 'RETRYING'));
    expect((await list('handler=listing.nobody')).items).toEqual([]);
    const discarded = (await list('status=DISCARDED&limit=500')).items;
    expect(discarded.every((row) => row.status === 'DISCARDED')).toBe(true);
    expect(discarded.map((row) => row.id)).toEqual(expect.arrayContaining(idsOf('listing.alpha', 'DISCARDED')));
    expect(discarded.some((row) => row.handler === 'listing.beta')).toBe(false);

    // Input errors.
    expectError(await http(platform.url, 'GET', '/admin/failed-messages?status=BROKEN', { admin: true }), 400, /status/);
    expectError(await http(platform.url, 'GET', '/admin/failed-messages?limit=0', { admin: true }), 400, /limit/);
    expectError(await http(platform.url, 'GET', '/admin/failed-messages?limit=many', { admin: true }), 400, /limit/);
    expectError(await http(platform.url, 'GET', '/admin/failed-messages?cursor=not-a-cursor', { admin: true }), 400, /cursor/);
    const unknown = randomUUID();
    expectError(await http(platform.url, 'GET', `/admin/failed-messages/${unknown}`, { admin: true }), 404, new RegExp(unknown));
    expectError(await http(platform.url, 'POST', `/admin/failed-messages/${unknown}/retry`, { admin: true }), 404);
    expectError(await http(platform.url, 'POST', `/admin/failed-messages/${unknown}/discard`, { admin: true, body: { reason: 'x' } }), 404);
    expectError(await http(platform.url, 'GET', '/admin/failed-messages/not-a-uuid', { admin: true }), 400);
    expectError(await http(platform.url, 'POST', '/admin/failed-messages/not-a-uuid/retry', { admin: true }), 400);

    // Without a valid token: 401 everywhere, and nothing changes.
    const some = seeded[0].id;
    for (const headers of [{}, bearer('not-the-admin-token-at-all')]) {
      expectError(await http(platform.url, 'GET', '/admin/failed-messages', { headers }), 401);
      expectError(await http(platform.url, 'GET', `/admin/failed-messages/${some}`, { headers }), 401);
      expectError(await http(platform.url, 'POST', `/admin/failed-messages/${some}/retry`, { headers }), 401);
      expectError(await http(platform.url, 'POST', '/admin/failed-messages/retry', { headers, body: {} }), 401);
      expectError(await http(platform.url, 'POST', `/admin/failed-messages/${some}/discard`, { headers, body: { reason: 'x' } }), 401);
    }
    expect((await failedMessage(platform.url, some)).status).toBe('FAILED');
    expect((await failedMessage(platform.url, some)).actions).toEqual([]);
  });
});

describe('failed messages: two processes sweeping the same 200 rows (G8)', () => {
  const ROWS = 200;
  let world: TestWorld;
  let merchant: MerchantServer;
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    world = await TestWorld.create('failed_g8');
    merchant = await MerchantServer.start();
  });
  afterAll(async () => {
    await closeSideBySide(apps);
    await world.destroy();
    await merchant.stop();
  });

  it('re-runs each due row exactly once per round, whichever process claims it', async () => {
    // Both processes sweep every 100ms; after a failed re-run the next round is an hour away
    // (SWEEP_SCHEDULE's second entry), so exactly one round happens here. The 200 rows all go
    // to one merchant endpoint: its concurrency limit (SPEC §8) is lifted, as this is about
    // sweeping, and the default of 4 would make most of them wait their turn (its adaptive
    // ceiling with it: the limit starts within it).
    const environment = { SWEEP_INTERVAL: '100ms', SWEEP_SCHEDULE: '10m,1h', NOTIFY_ENDPOINT_CONCURRENCY: '100', NOTIFY_ENDPOINT_CONCURRENCY_MAX: '100' };
    const first = await world.start(environment);
    const second = await world.start(environment);
    apps.push(first, second);
    // What each process's sweeper claims, round by round.
    const claimed = [first, second].map((running) => {
      const service = running.app.get(FailedMessagesService);
      const rounds: number[] = [];
      const sweepDue = service.sweepDue.bind(service);
      jest.spyOn(service, 'sweepDue').mockImplementation(async () => {
        const count = await sweepDue();
        rounds.push(count);
        return count;
      });
      return rounds;
    });

    // 200 real REJECTED orders whose merchant, for now, acknowledges their own notifications.
    await setStock(first.url, 'FM-G8', 0);
    const orderIds: string[] = [];
    for (let batch = 0; batch < ROWS / 25; batch += 1) {
      const base = batch % 2 === 0 ? first.url : second.url;
      const placed = await Promise.all(Array.from({ length: 25 }, () => placeOrder(base, [{ sku: 'FM-G8', quantity: 1 }], merchant.url)));
      orderIds.push(...placed.map((order) => order.id));
    }
    await waitFor(
      async () => {
        const [{ n }] = await world.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders WHERE id = ANY($1) AND status = 'REJECTED'`, [orderIds]);
        return n === ROWS;
      },
      { what: `${ROWS} orders to be REJECTED`, timeoutMs: 60_000, intervalMs: 200 },
    );
    await waitFor(() => new Set(merchant.received.map((request) => request.body.orderId)).size === ROWS, {
      what: 'every rejection to reach the merchant',
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    await queuesIdle(world.name, ['notify.merchant']);
    expect(await world.query(`SELECT id FROM failed_messages`)).toEqual([]);
    // Two processes are really at work: both consume notify.merchant and both sweepers tick.
    expect((await queueStates(world.name)).get('notify.merchant')?.consumers).toBe(2);
    await waitFor(() => claimed.every((rounds) => rounds.length > 0), { what: 'both sweepers to run' });

    // The merchant goes down, and 200 failed order.rejected notifications, due already, appear at once.
    merchant.answerWith(refuse);
    const before = merchant.received.length;
    const now = Date.now();
    // Each is the notification the merchant had, failed for good: its own event id and the
    // order's own reason (a notification is one per order and outcome, and an event is held
    // against its order).
    const notifications = await world.query<{ event_id: string; order_id: string; reason: string }>(
      `UPDATE notifications n SET state = 'FAILED', delivered_at = NULL FROM orders o
        WHERE o.id = n.order_id AND n.order_id = ANY($1::uuid[]) RETURNING n.event_id, n.order_id, o.reason`,
      [orderIds],
    );
    expect(notifications).toHaveLength(ROWS);
    const rows = notifications.map(({ event_id: id, order_id: orderId, reason }) => {
      const envelope = { id, type: 'order.rejected', occurredAt: new Date(now - 60_000).toISOString(), data: { orderId, reason } };
      return { id: randomUUID(), envelope };
    });
    await world.query(
      `INSERT INTO failed_messages (id, handler, queue, message_id, routing_key, payload, headers, error, errors, attempts, status,
         sweep_count, first_failed_at, last_failed_at, next_sweep_at)
       SELECT id, 'notify.merchant', 'notify.merchant', message_id, 'order.rejected', payload, '{}', 'HTTP 500', '[]', 4, 'FAILED',
              0, $4::timestamptz, $4::timestamptz, $5::timestamptz
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS seeded(id, message_id, payload)`,
      [rows.map((row) => row.id), rows.map((row) => row.envelope.id), rows.map((row) => JSON.stringify(row.envelope)), new Date(now - 60_000), new Date(now - 1_000)],
    );

    // One round: every row re-run, failed again, and back to FAILED one round further on.
    await waitFor(
      async () => {
        const [{ n }] = await world.query<{ n: number }>(`SELECT count(*)::int AS n FROM failed_messages WHERE status = 'FAILED' AND sweep_count = 1`);
        return n === ROWS;
      },
      { what: `all ${ROWS} rows swept once and failed again`, timeoutMs: 60_000, intervalMs: 200 },
    );
    // Nothing of the round still in flight in either process.
    await queuesIdle(world.name, ['notify.merchant']);
    // Between them the two sweepers claimed each row once (a claim takes up to 200 rows, so
    // one process may well have taken them all: SKIP LOCKED leaves the other nothing). A round
    // returns its count after marking its rows RETRYING, which on a loaded machine may come
    // after its re-runs have failed again: wait for the rounds to report, then count.
    const claimedInAll = () => claimed.flat().reduce((sum, count) => sum + count, 0);
    await waitFor(() => claimedInAll() >= ROWS, { what: 'the sweepers\' rounds to report what they claimed', timeoutMs: 10_000 });
    expect(claimedInAll()).toBe(ROWS);

    const sweeps = await world.query<{ id: string; sweeps: number; others: number }>(
      `SELECT f.id,
              count(*) FILTER (WHERE a.action = 'sweep' AND a.actor = 'sweeper')::int AS sweeps,
              count(*) FILTER (WHERE a.action <> 'sweep' OR a.actor <> 'sweeper')::int AS others
         FROM failed_messages f LEFT JOIN failed_message_actions a ON a.failed_message_id = f.id
        GROUP BY f.id`,
    );
    expect(sweeps).toHaveLength(ROWS);
    expect(sweeps.filter((row) => row.sweeps !== 1 || row.others !== 0)).toEqual([]);
    const next = await world.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM failed_messages WHERE next_sweep_at > now() + interval '50 minutes' AND jsonb_array_length(errors) = 1`,
    );
    expect(next[0].n).toBe(ROWS);

    // The merchant saw each re-run exactly once: one request per row, none other.
    const rerun = merchant.received.slice(before);
    const perEvent = new Map<string, number>();
    for (const request of rerun) perEvent.set(String(request.headers['webhook-id']), (perEvent.get(String(request.headers['webhook-id'])) ?? 0) + 1);
    expect(rerun).toHaveLength(ROWS);
    expect([...perEvent.keys()].sort()).toEqual(rows.map((row) => row.envelope.id).sort());
    expect([...perEvent.values()].every((count) => count === 1)).toBe(true);
  }, 120_000); // 400 notifications through two processes, and a sweep of 200: longer than the default minute on a loaded machine.
});

describe('failed messages: the database is down when a handler gives up', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let merchant: MerchantServer;
  let admin: Client;
  let database: Client | undefined;

  beforeAll(async () => {
    world = await TestWorld.create('failed_dbdown');
    // The world's own client is ended by the outage; without a listener its error would be unhandled.
    world.database.on('error', () => undefined);
    merchant = await MerchantServer.start();
    admin = await maintenanceClient();
    // Attempts at 0, +1s, +3s, +5s: time to take the database away after the first one.
    platform = await world.start({ NOTIFY_RETRY_SCHEDULE: '1s,2s,2s' });
  });
  afterAll(async () => {
    await unblockDatabase(admin, world.name).catch(() => undefined);
    await database?.end().catch(() => undefined);
    await admin.end();
    await world.destroy();
    await merchant.stop();
  });

  it('parks the message in notify.merchant.dlq and records it once the database is back; nothing is lost', async () => {
    merchant.answerWith(refuse);
    const order = await rejectedOrder(platform.url, 'FM-DBDOWN-1', merchant.url);
    await waitFor(() => merchant.forOrder(order.id).length >= 1, { what: 'the first notification attempt' });
    // Its outcome recorded too, before the outage: the merchant's answer is not the end of the attempt.
    await waitFor(async () => (await world.query(`SELECT 1 FROM deliveries WHERE order_id = $1 AND http_status = 500`, [order.id])).length === 1, {
      what: 'the first attempt to be recorded',
    });

    await blockDatabase(admin, world.name);
    await expect(databaseClient(world.name)).rejects.toThrow(/not currently accepting connections/);

    // The remaining attempts fail (the order cannot even be read), and the last one cannot be recorded.
    await waitFor(async () => ((await queueDepths(world.name)).get('notify.merchant.dlq') ?? 0) === 1, {
      what: 'the message to be parked in notify.merchant.dlq',
      timeoutMs: 30_000,
      intervalMs: 250,
    });

    await unblockDatabase(admin, world.name);
    database = await databaseClient(world.name);
    const rows = await waitFor(
      async () => {
        const { rows: found } = await database!.query(
          `SELECT * FROM failed_messages WHERE handler = 'notify.merchant' AND (payload::jsonb -> 'data' ->> 'orderId') = $1`,
          [order.id],
        );
        return found.length > 0 ? found : undefined;
      },
      { what: 'the parked message to be recorded', timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({ queue: 'notify.merchant', routing_key: 'order.rejected', status: 'FAILED', poison: false, attempts: 4 });
    expect(row.errors.map((entry: { attempt: number }) => entry.attempt)).toEqual([1, 2, 3, 4]);
    expect(row.errors[0].error).toMatch(/HTTP 500/);
    expect(JSON.parse(row.payload)).toMatchObject({ id: row.message_id, type: 'order.rejected', data: { orderId: order.id } });
    expect(row.next_sweep_at).not.toBeNull();
    await waitFor(async () => ((await queueDepths(world.name)).get('notify.merchant.dlq') ?? -1) === 0, {
      what: 'notify.merchant.dlq to be empty',
      intervalMs: 250,
    });

    // The platform's own pool came back by itself: it serves the row and handles new work.
    const served = await http(platform.url, 'GET', `/admin/failed-messages/${row.id}`, { admin: true });
    expect(served.status).toBe(200);
    expect(served.body).toMatchObject({ id: row.id, status: 'FAILED', attempts: 4 });
    expect((await http(platform.url, 'GET', '/health/ready')).status).toBe(200);
    await setStock(platform.url, 'FM-DBDOWN-2', 3);
    const later = await placeOrder(platform.url, [{ sku: 'FM-DBDOWN-2', quantity: 1 }], merchant.url);
    expect((await orderReaches(platform.url, later.id, ['CONFIRMED', 'REJECTED'])).status).toBe('CONFIRMED');
  });
});

describe('failed messages: poison (G6)', () => {
  const SWEEP_SCHEDULE_MS = 200;
  const SWEEP_INTERVAL_MS = 100;
  let world: TestWorld;
  let platform: RunningApp;

  beforeAll(async () => {
    world = await TestWorld.create('failed_poison');
    // A short sweep schedule, so a poison row that were (wrongly) due would be re-run within this test.
    platform = await world.start({ SWEEP_SCHEDULE: '200ms', SWEEP_INTERVAL: '100ms' });
  });
  afterAll(() => world.destroy());

  it('records unreadable messages at once with attempts 1 and poison, never retries them, and keeps consuming', async () => {
    await consumersReady(world.name, ['stock.reserve']);
    const notJson = { messageId: `poison-${randomUUID()}`, body: '{"id": oops, this is not JSON' };
    const unknownEnvelope = { id: randomUUID(), type: 'order.exploded', occurredAt: new Date().toISOString(), data: { orderId: randomUUID() } };
    const unknownType = { messageId: unknownEnvelope.id, body: JSON.stringify(unknownEnvelope) };

    const connection = await connect(world.rabbitmqUrl);
    try {
      const channel = await connection.createConfirmChannel();
      for (const poison of [notJson, unknownType]) {
        channel.sendToQueue('stock.reserve', Buffer.from(poison.body), { messageId: poison.messageId, contentType: 'application/json', persistent: true });
      }
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }

    const recorded = await waitFor(
      async () => {
        const rows = await world.query<Record<string, any>>(`SELECT * FROM failed_messages WHERE message_id = ANY($1) ORDER BY message_id`, [
          [notJson.messageId, unknownType.messageId],
        ]);
        return rows.length === 2 ? rows : undefined;
      },
      { what: 'both poison messages to be recorded' },
    );
    for (const [poison, reason] of [
      [notJson, /not JSON/],
      [unknownType, /type/],
    ] as const) {
      const row = recorded.find((found) => found.message_id === poison.messageId)!;
      expect(row).toMatchObject({ handler: 'stock.reserve', attempts: 1, poison: true, status: 'FAILED', sweep_count: 0, next_sweep_at: null });
      expect(row.payload).toBe(poison.body);
      expect(row.errors).toHaveLength(1);
      expect(row.errors[0]).toMatchObject({ attempt: 1 });
      expect(row.error).toMatch(reason);
    }
    const view = await failedMessage(platform.url, recorded.find((row) => row.message_id === notJson.messageId)!.id);
    expect(view).toMatchObject({ poison: true, attempts: 1, payload: notJson.body, nextSweepAt: null });

    // The consumer keeps consuming: a normal order placed afterwards is reserved.
    await setStock(platform.url, 'FM-POISON-1', 5);
    const order = await placeOrder(platform.url, [{ sku: 'FM-POISON-1', quantity: 2 }]);
    expect((await orderReaches(platform.url, order.id, ['CONFIRMED', 'REJECTED'])).status).toBe('CONFIRMED');
    expect((await http(platform.url, 'GET', '/stock/FM-POISON-1')).body.available).toBe(3);

    // Never retried: no delay tier, no DLQ. And never swept: with SWEEP_SCHEDULE=200ms a
    // sweepable row would be re-run 200ms after it failed, within one 100ms interval; the
    // rows are older than that already, and a further second of watching leaves ample slack.
    const depths = await queueDepths(world.name);
    for (const [name, depth] of depths) if (name.startsWith('stock.reserve.')) expect({ name, depth }).toEqual({ name, depth: 0 });
    await holdsFor(
      async () => {
        const [{ n }] = await world.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM failed_messages f
            WHERE f.poison AND (f.status <> 'FAILED' OR f.attempts <> 1
               OR EXISTS (SELECT 1 FROM failed_message_actions a WHERE a.failed_message_id = f.id))`,
        );
        return n === 0 ? true : `${n} poison rows were touched`;
      },
      SWEEP_SCHEDULE_MS + SWEEP_INTERVAL_MS + 1_000,
      'poison rows are never re-run',
    );
    expect(await world.query(`SELECT id FROM failed_messages WHERE NOT poison`)).toEqual([]);
  });
});
