import { createHash } from 'node:crypto';
import { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { AuditRepository } from '../src/audit/audit.repository';
import { FailedMessageClaims } from '../src/compensation/failed-messages/failed-message-claims.repository';
import { FailedMessagesHistory } from '../src/compensation/failed-messages/failed-messages-history.repository';
import { FailureGroupsRepository } from '../src/compensation/failed-messages/failure-groups.repository';
import { FailedMessagesListing } from '../src/compensation/failed-messages/failed-messages-listing.repository';
import { ProcessedMessagesRepository } from '../src/compensation/processed-messages.repository';
import { OutboxRepository } from '../src/coordinator/outbox.repository';
import { dataSourceOptions } from '../src/database/data-source-options';
import { Db } from '../src/database/db';
import { Statement } from '../src/database/sql';
import { DeliveriesRepository } from '../src/notify/deliveries.repository';
import { Delivery } from '../src/notify/delivery.entity';
import { EndpointsRepository } from '../src/notify/endpoints.repository';
import { OrderNotificationsRepository } from '../src/notify/order-notifications.repository';
import { OrdersRepository } from '../src/orders/orders.repository';
import { PaymentRepository } from '../src/payment/payment.repository';
import { indexesBackingNoConstraint } from './support/load-indexes';
import { coverPastDays } from './support/partitions';
import { fullScanIn, nodeName, PlanNode } from './support/plan-reading';
import { TestWorld } from './support/test-world';

/**
 * The statements behind the admin API and the console, planned over tables the size of a busy
 * production's (scaled down to fill in seconds): none may read a big table whole. Each is
 * taken from its repository as the app sends it, EXPLAINed, then run and timed.
 */

const BIG_TABLES = new Set(['failed_messages', 'deliveries', 'processed_messages', 'orders', 'notifications', 'outbox', 'ops_actions', 'payment_incidents']);
const HANDLERS = ['notify.merchant', 'stock.reserve', 'payment.charge', 'orders.expire'];
// Generous: the machine is shared; an index-backed statement here takes milliseconds, a full scan hundreds.
const TIME_BOUND_MS = 500;

/** A statement as the app sends it, with realistic values. */
interface Sent {
  label: string;
  text: string;
  values: unknown[];
  /** A claim, a discard: planned, run and timed in a transaction that is rolled back, so the fill stays as it is for the others. */
  writes?: boolean;
}

/** A Db that keeps what a repository would send instead of sending it. */
class CapturingDb extends Db {
  readonly sent: { statement: Statement; values: unknown[] }[] = [];

  override async run<Row>(statement: Statement<Row>, values: unknown[] = []): Promise<Row[]> {
    this.sent.push({ statement: statement as Statement, values });
    return [];
  }

  /** The one statement `call` sent. */
  async capture(label: string, call: () => Promise<unknown>, writes = false): Promise<Sent> {
    this.sent.length = 0;
    await call();
    expect(this.sent).toHaveLength(1);
    return { label, text: this.sent[0].statement.text, values: this.sent[0].values, writes };
  }
}

/** An instant `byMs` away from `at`. */
function around(at: Date, byMs: number): Date {
  return new Date(at.getTime() + byMs);
}

/**
 * The statement's plan, as it runs (EXPLAIN ANALYZE), then its time run again. A statement
 * that writes runs twice on the same rows: inside one transaction, the second finds the
 * first's changes, which is no worse a case for its plan.
 */
async function planAndTime(database: Pool | PoolClient, text: string, values: unknown[]): Promise<{ plan: { Plan: PlanNode }; ms: number }> {
  const [{ 'QUERY PLAN': [plan] }] = (await database.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values)).rows;
  const started = process.hrtime.bigint();
  await database.query(text, values);
  return { plan, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

/** The plan's scans, for the printout: what each statement reads. */
function scansOf(node: PlanNode): string[] {
  const own = node['Relation Name'] ? [nodeName(node)] : [];
  return [...own, ...(node.Plans ?? []).flatMap(scansOf)];
}

describe('query plans of the admin and console statements', () => {
  let world: TestWorld;
  let dataSource: DataSource;
  let pool: Pool;
  let capturing: CapturingDb;
  const statements: Sent[] = [];

  beforeAll(async () => {
    world = await TestWorld.create('query_plans');
    dataSource = new DataSource(dataSourceOptions({ url: world.databaseUrl }));
    await dataSource.initialize();
    await dataSource.runMigrations();
    pool = new Pool({ connectionString: world.databaseUrl, max: 2 });
    capturing = new CapturingDb(new Pool({ connectionString: world.databaseUrl, max: 1 }));
    await fill(world);

    const [oneFailed] = await world.query<{ order_id: string; message_id: string; first_failed_at: Date; id: string }>(
      `SELECT order_id, message_id, first_failed_at, id FROM failed_messages WHERE status = 'FAILED' AND handler = $1 ORDER BY first_failed_at DESC, id DESC OFFSET 100 LIMIT 1`,
      [HANDLERS[1]],
    );
    const listing = new FailedMessagesListing(dataSource);
    const listed = (label: string, ...args: Parameters<FailedMessagesListing['listQuery']>): Sent => {
      const [text, values] = listing.listQuery(...args).getQueryAndParameters();
      return { label, text, values };
    };
    statements.push(
      listed('failed messages, all', {}, 101),
      listed('failed messages by status', { status: 'FAILED' }, 101),
      listed('failed messages by status and handler', { status: 'FAILED', handler: HANDLERS[1] }, 101),
      listed('failed messages by status and handler, next page', { status: 'FAILED', handler: HANDLERS[1] }, 101, {
        at: oneFailed.first_failed_at.toISOString(),
        id: oneFailed.id,
      }),
      listed('failed messages by order id', { orderId: oneFailed.order_id }, 101),
      listed('failed messages, q = an order id', { q: oneFailed.order_id }, 101),
      listed('failed messages, q = a message id', { q: oneFailed.message_id }, 101),
      listed('failed messages, q = a routing key, with status', { q: 'order.paid', status: 'FAILED' }, 101),
      // Parts, by the trigram indexes: an order id's first 8 characters, a part of a message id, words of the error.
      listed('failed messages, q = 8 characters of an order id', { q: oneFailed.order_id.slice(0, 8) }, 101),
      listed('failed messages, q = 8 characters of an order id, with status', { q: oneFailed.order_id.slice(0, 8), status: 'FAILED' }, 101),
      listed('failed messages, q = a part of a message id', { q: oneFailed.message_id.slice(9, 23) }, 101),
      listed('failed messages, q = error text', { q: 'HTTP 500' }, 101),
      listed('failed messages, q = error text, with status and handler', { q: 'HTTP 500', status: 'FAILED', handler: HANDLERS[0] }, 101),
      listed('failed messages, q = a rare error text', { q: 'is not PENDING' }, 101),
      // From and to bound the first failure: the same index scans, bounded.
      listed('failed messages, from and to', { from: new Date(Date.now() - 3_600_000), to: new Date() }, 101),
      listed('failed messages, from and to, with status and handler', { status: 'FAILED', handler: HANDLERS[1], from: around(oneFailed.first_failed_at, -3_600_000), to: around(oneFailed.first_failed_at, 3_600_000) }, 101),
      listed('failed messages, from and to, with q', { q: 'HTTP 500', from: around(oneFailed.first_failed_at, -86_400_000), to: oneFailed.first_failed_at }, 101),
    );

    // The biggest FAILED group, as on-call would open it first.
    const [{ failure_group: biggestGroup }] = await world.query<{ failure_group: string }>(
      `SELECT failure_group FROM failed_messages WHERE status = 'FAILED' GROUP BY failure_group ORDER BY count(*) DESC LIMIT 1`,
    );
    const groupsRepository = new FailureGroupsRepository(capturing);
    const claims = new FailedMessageClaims(capturing);
    const notActedOnSince = new Date();
    statements.push(
      await capturing.capture('failure groups, FAILED', () => groupsRepository.list('FAILED', 100)),
      await capturing.capture('failure groups, RETRYING', () => groupsRepository.list('RETRYING', 100)),
      await capturing.capture('failure group exists', () => groupsRepository.exists(biggestGroup)),
      await capturing.capture('failure group retry: poison skipped', () => claims.countPoisonOfGroup(biggestGroup)),
      await capturing.capture('failure group retry: claim', () => claims.claimFailedOfGroup({ key: biggestGroup, notActedOnSince }, 30_000, 200), true),
      await capturing.capture('failure group discard: a batch', () => groupsRepository.discardBatch(biggestGroup, 'a reason', 'admin', 200), true),
      await capturing.capture('retry all matching: poison skipped', () => claims.countPoisonMatching({ status: 'FAILED' })),
      await capturing.capture('retry all matching: poison skipped, of handler', () => claims.countPoisonMatching({ status: 'FAILED', handler: HANDLERS[1] })),
      await capturing.capture('retry all matching: claim', () => claims.claimMatching({ status: 'FAILED', notActedOnSince }, 30_000, 200), true),
      await capturing.capture('retry all matching: claim of handler', () => claims.claimMatching({ status: 'FAILED', handler: HANDLERS[1], notActedOnSince }, 30_000, 200), true),
      await capturing.capture('sweeper: re-runs that never reported back', () => claims.claimLostReruns(30_000, 200), true),
    );

    const hourAgo = new Date(Date.now() - 3_600_000);
    const history = new FailedMessagesHistory(capturing);
    const deliveries = new DeliveriesRepository(dataSource.getRepository(Delivery), capturing);
    statements.push(
      await capturing.capture('stats: failed runs', () => history.failedAttemptBuckets(60_000, hourAgo)),
      await capturing.capture('stats: handler runs done', () => new ProcessedMessagesRepository(capturing).processedBuckets(60_000, hourAgo)),
      await capturing.capture('stats: deliveries by outcome', () => deliveries.outcomeBuckets(60_000, hourAgo)),
      await capturing.capture('summary: failed messages by status', () => history.countByStatus()),
      await capturing.capture('summary: outbox counts', () => new OutboxRepository(capturing).counts(5)),
      await capturing.capture('endpoints, first page', () => new EndpointsRepository(capturing).list(101)),
      await capturing.capture('endpoints, a later page', () => new EndpointsRepository(capturing).list(101, 'https://merchant-1000.example:443')),
    );

    // The delivery log's filters (GET /admin/deliveries): by endpoint origin or id, by time, with each other.
    const paged = (label: string, ...args: Parameters<DeliveriesRepository['pageQuery']>): Sent => {
      const [text, values] = deliveries.pageQuery(...args).getQueryAndParameters();
      return { label, text, values };
    };
    const dayAgo = new Date(Date.now() - 86_400_000);
    const endpointOrigin = 'https://merchant-0042.example:443';
    statements.push(
      paged('deliveries by endpoint origin', { endpointOrigin }, undefined, 101),
      paged('deliveries by endpoint origin, failed, from a day ago', { endpointOrigin, delivered: false, from: dayAgo }, undefined, 101),
      paged('deliveries by endpoint id, between two times', { endpointId: md5Uuid('endpoint42'), from: dayAgo, to: hourAgo }, undefined, 101),
      paged('deliveries between two times', { from: dayAgo, to: hourAgo }, undefined, 101),
      paged('deliveries by order, from a time', { orderId: md5Uuid('order4242'), from: dayAgo }, undefined, 101),
    );

    // The order timeline (GET /admin/orders/:id/timeline): each owner's read by the order or the ids its records name.
    const orderId = md5Uuid('order4242');
    statements.push(
      await capturing.capture('timeline: the order as it stands', () => new OrdersRepository(capturing).standing(orderId)),
      await capturing.capture('deliveries by order: when the order was placed', () => new OrdersRepository(capturing).placedAt(orderId)),
      await capturing.capture("timeline: the order's notifications", () => new OrderNotificationsRepository(capturing).ofOrder(orderId, 20)),
      await capturing.capture("timeline: the order's payment incidents", () => new PaymentRepository(capturing).incidentsOfOrder(orderId, 100)),
      await capturing.capture("timeline: ops actions on the order and its notifications", () =>
        new AuditRepository(capturing).ofSubjects([{ type: 'order', id: orderId }, { type: 'notification', id: md5Uuid('notification4242') }, { type: 'notification', id: md5Uuid('notification4243') }], 200),
      ),
      listed("timeline: the order's failed messages", { orderId }, 100),
    );
  }, 300_000);

  afterAll(async () => {
    await pool?.end();
    await capturing?.end();
    await dataSource?.destroy();
    await world?.destroy();
  });

  it('reads no big table whole, and answers each statement quickly', async () => {
    const figures: string[] = [];
    const problems: string[] = [];
    for (const { label, text, values, writes } of statements) {
      const { plan, ms } = writes ? await rolledBack((client) => planAndTime(client, text, values)) : await planAndTime(pool, text, values);
      const fullScan = fullScanIn(plan.Plan, BIG_TABLES);
      if (fullScan) problems.push(`${label}: ${fullScan}`);
      if (ms > TIME_BOUND_MS) problems.push(`${label}: took ${ms.toFixed(0)} ms`);
      figures.push(`${label.padEnd(52)} ${ms.toFixed(1).padStart(7)} ms  ${[...new Set(scansOf(plan.Plan))].join(', ')}`);
    }
    console.log(`query plans (${statements.length} statements):\n${figures.join('\n')}`);
    expect(problems).toEqual([]);
  });

  it("plans the endpoints' figures of the hour over that hour's partitions only, call after call", async () => {
    // A generic plan (what a named statement turns to after five calls) is made over every partition.
    const onePool = new Pool({ connectionString: world.databaseUrl, max: 1 });
    try {
      const endpoints = new EndpointsRepository(new Db(onePool));
      const [busiest] = await world.query<{ id: string }>(`SELECT endpoint_id AS id FROM deliveries GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
      for (let call = 0; call < 7; call += 1) {
        expect((await endpoints.list(101)).length).toBeGreaterThan(0);
        expect(await endpoints.summary(busiest.id)).toBeDefined();
      }
      const kept = await onePool.query<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE statement LIKE '%FROM deliveries%'`);
      expect(kept.rows).toEqual([]);

      const partitions = await world.query<{ count: number }>(`SELECT count(*)::int AS count FROM pg_inherits WHERE inhparent = 'deliveries'::regclass`);
      expect(partitions[0].count).toBeGreaterThan(4);
      for (const sent of statements.filter((each) => each.label.startsWith('endpoints'))) {
        const { plan } = await planAndTime(pool, sent.text, sent.values);
        const read = new Set(scansOf(plan.Plan).filter((scan) => /deliveries_p\d{8}/.test(scan)).map((scan) => scan.match(/deliveries_p\d{8}/)![0]));
        // From an hour ago to a day ahead (lastHour): today's partition and tomorrow's, and in the
        // hour after midnight yesterday's as well; never the older ones, nor the later days made ahead.
        expect(read.size).toBeGreaterThan(0);
        expect(read.size).toBeLessThanOrEqual(3);
      }
    } finally {
      await onePool.end();
    }
  });

  /** Runs `work` on one connection in a transaction that is rolled back, whatever it did. */
  async function rolledBack<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      return await work(client);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  it('counts failed messages by status as rows are recorded, change status and are deleted', async () => {
    const history = new FailedMessagesHistory(new Db(pool));
    const counted = async () =>
      Object.fromEntries((await world.query<{ status: string; count: number }>(`SELECT status, count(*)::int AS count FROM failed_messages GROUP BY status`)).map((row) => [row.status, row.count]));
    expect(await history.countByStatus()).toEqual(await counted());

    await world.query(`UPDATE failed_messages SET status = 'DISCARDED', resolved_at = now() WHERE status = 'FAILED' AND handler = $1`, [HANDLERS[0]]);
    await world.query(`UPDATE failed_messages SET status = 'RETRYING' WHERE status = 'FAILED' AND handler = $1`, [HANDLERS[1]]);
    await world.query(`DELETE FROM failed_messages WHERE status = 'RESOLVED' AND first_failed_at < now() - interval '20 days'`);
    await world.query(`UPDATE failed_messages SET error = 'changed' WHERE status = 'RETRYING'`);
    expect(await history.countByStatus()).toEqual(await counted());
  });
});

/** md5(text) as a UUID, as fill() names its rows, computed here the way PostgreSQL's md5(text)::uuid does. */
function md5Uuid(text: string): string {
  const hex = createHash('md5').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Set-based, so it takes seconds: 300k failed messages (the 20k FAILED the oldest, the case
 * where scanning the listing backward for them reads every other row first), 500k deliveries
 * over 2,000 endpoints and 500k processed messages over a week, 100k outbox rows after an outage.
 */
async function fill(world: TestWorld): Promise<void> {
  await coverPastDays(world.databaseUrl, 'deliveries', 8);
  await coverPastDays(world.databaseUrl, 'processed_messages', 8);
  // The tables are independent: filled side by side on their own connections.
  const filling = new Pool({ connectionString: world.databaseUrl, max: 4 });
  // A bulk load is far faster with its indexes built after it than kept up row by row: those
  // that back no constraint are dropped for the fill and made again from their own definitions.
  const indexes = await indexesBackingNoConstraint((sql, values) => world.query(sql, values));
  for (const index of indexes) await world.query(index.drop);
  const statements: string[] = [];
  statements.push(`
    INSERT INTO failed_messages (id, handler, queue, message_id, routing_key, payload, headers, error, errors, attempts, status, poison,
                                 sweep_count, first_failed_at, last_failed_at, resolved_at, order_id, fingerprint, endpoint, failure_group, rerun_expires_at)
    SELECT md5('failed' || i)::uuid, h, h, md5('message' || i)::uuid::text, r,
           json_build_object('id', md5('message' || i)::uuid, 'type', r, 'data', json_build_object('orderId', md5('order' || i)::uuid, 'note', repeat('x', 200)))::text,
           '{}', e || E'\n    at Handler.run (/app/dist/handler.js:42:13)', jsonb_build_array(jsonb_build_object('attempt', 1, 'at', at + interval '1 minute', 'error', e)), 3,
           s, i <= 20000 AND i % 500 = 7, 0,
           at, at + interval '1 minute', CASE WHEN i > 21000 THEN at + interval '2 minutes' END, md5('order' || i)::uuid,
           f, ep, left(md5(h || '|' || f || '|' || coalesce(ep, '')), 16), CASE WHEN s = 'RETRYING' THEN at + interval '15 minutes' END
      FROM generate_series(1, 300000) AS i,
           LATERAL (SELECT (ARRAY['${HANDLERS.join("','")}'])[1 + i % 4] AS h,
                           (ARRAY['order.created', 'order.paid', 'order.rejected'])[1 + i % 3] AS r,
                           CASE WHEN i <= 20000 THEN 'FAILED' WHEN i <= 21000 THEN 'RETRYING' WHEN i % 3 = 0 THEN 'DISCARDED' ELSE 'RESOLVED' END AS s,
                           now() - (300001 - i) * interval '8 seconds' AS at) AS row,
           -- Errors as handlers leave them: a merchant's HTTP 500 (its endpoint named), one naming
           -- the order it is about (a rare text), and the rest alike; grouped as failure-group.ts would.
           LATERAL (SELECT CASE WHEN i % 10 = 0 THEN 'DeliveryFailedError: HTTP 500'
                                WHEN i % 1000 = 1 THEN 'Error: order ' || md5('order' || i)::uuid || ' is not PENDING'
                                ELSE 'Error: boom' END AS e,
                           CASE WHEN i % 10 = 0 THEN 'DeliveryFailedError: HTTP <n>'
                                WHEN i % 1000 = 1 THEN 'Error: order <id> is not PENDING'
                                ELSE 'Error: boom' END AS f,
                           CASE WHEN i % 20 = 0 THEN 'https://merchant-' || lpad(((i / 20) % 40)::text, 4, '0') || '.example' END AS ep) AS failure`);
  statements.push(`
    INSERT INTO endpoints (id, origin)
    SELECT md5('endpoint' || i)::uuid, 'https://merchant-' || lpad(i::text, 4, '0') || '.example:443' FROM generate_series(1, 2000) AS i`);
  statements.push(`
    INSERT INTO deliveries (event_id, order_id, attempt, url, http_status, duration_ms, delivered, error, attempted_at, endpoint_id)
    SELECT md5('event' || i)::uuid, md5('order' || i)::uuid, 1, 'https://merchant.example/notify', CASE WHEN i % 10 = 0 THEN 500 ELSE 200 END, 40,
           i % 10 <> 0, CASE WHEN i % 10 = 0 THEN 'HTTP 500' END, now() - (500001 - i) * interval '1.2 seconds', md5('endpoint' || (1 + i % 2000))::uuid
      FROM generate_series(1, 500000) AS i`);
  statements.push(`
    INSERT INTO processed_messages (handler, message_id, processed_at)
    SELECT (ARRAY['${HANDLERS.join("','")}'])[1 + i % 4], md5('processed' || i)::uuid, now() - (500001 - i) * interval '1.2 seconds'
      FROM generate_series(1, 500000) AS i`);
  statements.push(`
    INSERT INTO outbox (id, state, routing_key, envelope, kind, check_back_id, attempts, created_at, next_attempt_at)
    SELECT md5('outbox' || i)::uuid, CASE WHEN i % 100 = 0 THEN 'PREPARE' ELSE 'READY' END, 'order.paid',
           jsonb_build_object('id', md5('outbox' || i)::uuid, 'type', 'order.paid', 'data', jsonb_build_object('orderId', md5('order' || i)::uuid)),
           CASE WHEN i % 100 = 0 THEN 'payment' END, CASE WHEN i % 100 = 0 THEN i::text END, i % 7,
           now() - (100001 - i) * interval '100 milliseconds', now()
      FROM generate_series(1, 100000) AS i`);
  // What the order timeline reads: orders, their notifications, ops actions on them, payment incidents.
  statements.push(`
    INSERT INTO orders (id, merchant_id, status, total_amount, currency, notify_url, created_at, updated_at)
    SELECT md5('order' || i)::uuid, 'merchant-' || (i % 500), (ARRAY['PENDING', 'CONFIRMED', 'PAID', 'CANCELLED'])[1 + i % 4], 500, 'CNY',
           'https://merchant.example/notify', now() - (300001 - i) * interval '8 seconds', now() - (300001 - i) * interval '8 seconds'
      FROM generate_series(1, 300000) AS i`);
  statements.push(`
    INSERT INTO notifications (event_id, order_id, event_type, state, attempts, created_at)
    SELECT md5('notification' || i)::uuid, md5('order' || i)::uuid, 'order.paid', CASE WHEN i % 10 = 0 THEN 'FAILED' ELSE 'DELIVERED' END, 1,
           now() - (300001 - i) * interval '8 seconds'
      FROM generate_series(1, 300000) AS i`);
  statements.push(`
    INSERT INTO ops_actions (actor, action, subject_type, subject_id, detail, at)
    SELECT 'admin', CASE WHEN i % 2 = 0 THEN 'notification.resend' ELSE 'merchant.update' END,
           CASE WHEN i % 2 = 0 THEN 'notification' ELSE 'merchant' END,
           CASE WHEN i % 2 = 0 THEN md5('notification' || i)::uuid::text ELSE 'merchant-' || (i % 500) END,
           '{}', now() - (200001 - i) * interval '10 seconds'
      FROM generate_series(1, 200000) AS i`);
  statements.push(`
    INSERT INTO payment_incidents (order_id, trade_no, amount, order_status, source, received_at)
    SELECT md5('order' || (i * 3))::uuid, 'T-' || i, 500, 'CANCELLED', 'callback', now() - (100001 - i) * interval '20 seconds'
      FROM generate_series(1, 100000) AS i`);
  try {
    await Promise.all(statements.map((statement) => filling.query(statement)));
    await Promise.all(indexes.map((index) => filling.query(index.make)));
  } finally {
    await filling.end();
  }
  // As autovacuum leaves a busy table: statistics current, the visibility map set (index-only scans).
  await world.query(`VACUUM ANALYZE`);
}
