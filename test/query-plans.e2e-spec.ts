import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { FailedMessagesHistory } from '../src/compensation/failed-messages/failed-messages-history.repository';
import { FailedMessagesListing } from '../src/compensation/failed-messages/failed-messages-listing.repository';
import { ProcessedMessagesRepository } from '../src/compensation/processed-messages.repository';
import { OutboxRepository } from '../src/coordinator/outbox.repository';
import { dataSourceOptions } from '../src/database/data-source-options';
import { Db } from '../src/database/db';
import { Statement } from '../src/database/sql';
import { DeliveriesRepository } from '../src/notify/deliveries.repository';
import { Delivery } from '../src/notify/delivery.entity';
import { EndpointsRepository } from '../src/notify/endpoints.repository';
import { coverPastDays } from './support/partitions';
import { TestWorld } from './support/test-world';

/**
 * The statements behind the admin API and the console, planned over tables the size of a busy
 * production's (scaled down to fill in seconds): none may read a big table whole. Each is
 * taken from its repository as the app sends it, EXPLAINed, then run and timed.
 */

const BIG_TABLES = new Set(['failed_messages', 'deliveries', 'processed_messages', 'orders', 'notifications', 'outbox']);
const HANDLERS = ['notify.merchant', 'stock.reserve', 'payment.charge', 'orders.expire'];
// Generous: the machine is shared; an index-backed statement here takes milliseconds, a full scan hundreds.
const TIME_BOUND_MS = 500;

// An index scan that throws away this many rows is a full scan by another name (the listing
// read backward for the 20k FAILED rows among 300k was one).
const MAX_ROWS_FILTERED = 10_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** A statement as the app sends it, with realistic values. */
interface Sent {
  label: string;
  text: string;
  values: unknown[];
}

/** A Db that keeps what a repository would send instead of sending it. */
class CapturingDb extends Db {
  readonly sent: { statement: Statement; values: unknown[] }[] = [];

  override async run<Row>(statement: Statement<Row>, values: unknown[] = []): Promise<Row[]> {
    this.sent.push({ statement: statement as Statement, values });
    return [];
  }

  /** The one statement `call` sent. */
  async capture(label: string, call: () => Promise<unknown>): Promise<Sent> {
    this.sent.length = 0;
    await call();
    expect(this.sent).toHaveLength(1);
    return { label, text: this.sent[0].statement.text, values: this.sent[0].values };
  }
}

/** Why the plan reads a big table whole (or most of it), or undefined when it does not. */
function fullScanIn(node: PlanNode, path: string[] = []): string | undefined {
  const here = [...path, nodeName(node)];
  if (node['Node Type'] === 'Seq Scan' && BIG_TABLES.has(node['Relation Name'] ?? '')) return here.join(' → ');
  const filtered = (node['Rows Removed by Filter'] ?? 0) * (node['Actual Loops'] ?? 1);
  if (BIG_TABLES.has(node['Relation Name'] ?? '') && filtered > MAX_ROWS_FILTERED) return `${here.join(' → ')} (read ${filtered} rows only to filter them out)`;
  if (node['Node Type'] === 'Sort' && node.Plans?.some((input) => input['Node Type'] === 'Seq Scan' && BIG_TABLES.has(input['Relation Name'] ?? ''))) {
    return `${here.join(' → ')} (sorting a whole table)`;
  }
  for (const input of node.Plans ?? []) {
    const found = fullScanIn(input, here);
    if (found) return found;
  }
  return undefined;
}

function nodeName(node: PlanNode): string {
  const on = node['Index Name'] ?? node['Relation Name'];
  return on ? `${node['Node Type']} on ${on}` : node['Node Type'];
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
  }, 180_000);

  afterAll(async () => {
    await pool?.end();
    await capturing?.end();
    await dataSource?.destroy();
    await world?.destroy();
  });

  it('reads no big table whole, and answers each statement quickly', async () => {
    const figures: string[] = [];
    const problems: string[] = [];
    for (const { label, text, values } of statements) {
      const [{ 'QUERY PLAN': [plan] }] = (await pool.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values)).rows;
      const fullScan = fullScanIn(plan.Plan);
      if (fullScan) problems.push(`${label}: ${fullScan}`);
      const started = process.hrtime.bigint();
      await pool.query(text, values);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (ms > TIME_BOUND_MS) problems.push(`${label}: took ${ms.toFixed(0)} ms`);
      figures.push(`${label.padEnd(52)} ${ms.toFixed(1).padStart(7)} ms  ${[...new Set(scansOf(plan.Plan))].join(', ')}`);
    }
    console.log(`query plans (${statements.length} statements):\n${figures.join('\n')}`);
    expect(problems).toEqual([]);
  });

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
  const statements: string[] = [];
  statements.push(`
    INSERT INTO failed_messages (id, handler, queue, message_id, routing_key, payload, headers, error, errors, attempts, status, poison,
                                 sweep_count, first_failed_at, last_failed_at, resolved_at, order_id)
    SELECT md5('failed' || i)::uuid, h, h, md5('message' || i)::uuid::text, r,
           json_build_object('id', md5('message' || i)::uuid, 'type', r, 'data', json_build_object('orderId', md5('order' || i)::uuid, 'note', repeat('x', 200)))::text,
           '{}', 'boom', jsonb_build_array(jsonb_build_object('attempt', 1, 'at', at + interval '1 minute', 'error', 'boom')), 3,
           CASE WHEN i <= 20000 THEN 'FAILED' WHEN i <= 21000 THEN 'RETRYING' WHEN i % 3 = 0 THEN 'DISCARDED' ELSE 'RESOLVED' END, false, 0,
           at, at + interval '1 minute', CASE WHEN i > 21000 THEN at + interval '2 minutes' END, md5('order' || i)::uuid
      FROM generate_series(1, 300000) AS i,
           LATERAL (SELECT (ARRAY['${HANDLERS.join("','")}'])[1 + i % 4] AS h,
                           (ARRAY['order.created', 'order.paid', 'order.rejected'])[1 + i % 3] AS r,
                           now() - (300001 - i) * interval '8 seconds' AS at) AS row`);
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
  try {
    await Promise.all(statements.map((statement) => filling.query(statement)));
  } finally {
    await filling.end();
  }
  // As autovacuum leaves a busy table: statistics current, the visibility map set (index-only scans).
  await world.query(`VACUUM ANALYZE`);
}
