import { Pool } from 'pg';
import { AlertsRepository } from '../src/alerts/alerts.repository';
import { OutboxRepository } from '../src/coordinator/outbox.repository';
import { Db } from '../src/database/db';
import { Statement } from '../src/database/sql';
import { EndpointsRepository } from '../src/notify/endpoints.repository';
import { fullScanIn, indexesIn, PlanNode } from './support/plan-reading';
import { TestWorld } from './support/test-world';

/**
 * What the alerts' periodic check (and its gauge) sends, planned over tables the size of a bad
 * day: 300k failures noted, 200k alerts raised, 100k events waiting in the outbox. None may
 * read a big table whole, or filter most of one away.
 */

const BIG_TABLES = new Set(['ops_alert_failures', 'ops_alerts', 'outbox']);
// Generous: the machine is shared; an index-backed statement takes milliseconds here, a full scan hundreds.
const TIME_BOUND_MS = 500;

/** A Db that keeps the statement a repository would send instead of sending it. */
class CapturingDb extends Db {
  sent?: { statement: Statement; values: unknown[] };

  override async run<Row>(statement: Statement<Row>, values: unknown[] = []): Promise<Row[]> {
    this.sent = { statement: statement as Statement, values };
    // What the callers read of an answer, so that they return normally.
    return [{ locked: true, attempt: null, delivered: null }] as Row[];
  }
}

describe('query plans of the ops alerts', () => {
  let world: TestWorld;
  let pool: Pool;
  const capturing = new CapturingDb(new Pool({ max: 1 }));

  beforeAll(async () => {
    world = await TestWorld.create('ops_alerts_plans');
    await world.migrate();
    pool = new Pool({ connectionString: world.databaseUrl, max: 1 });
    // Failures over two days, 50 groups; five minutes of them are the window's.
    await pool.query(`INSERT INTO ops_alert_failures (handler, message_id, failure_group, fingerprint, endpoint, error, failed_at)
      SELECT 'notify.merchant', 'm-' || i, 'group-' || (i % 50), 'DeliveryFailedError: HTTP <n>', NULL, 'DeliveryFailedError: HTTP 503', now() - (i % 172800) * interval '1 second'
        FROM generate_series(1, 300000) i`);
    // Alerts of sixty days, sent and over; a few conditions under way.
    await pool.query(`INSERT INTO ops_alerts (id, kind, subject, episode, details, open, raised_at, delivered_at)
      SELECT gen_random_uuid(), 'message.failed', 'group-' || (i % 50), 'e-' || i, '{}', i <= 5, now() - (i % 5184000) * interval '1 second', now()
        FROM generate_series(1, 200000) i`);
    // Charges awaiting their outcome for hours, then a backlog of events.
    await pool.query(`INSERT INTO outbox (id, state, kind, check_back_id, created_at)
      SELECT gen_random_uuid(), 'PREPARE', 'payment', 'o-' || i, now() - interval '3 hours' FROM generate_series(1, 2000) i`);
    await pool.query(`INSERT INTO outbox (id, state, routing_key, envelope, created_at)
      SELECT gen_random_uuid(), 'READY', 'order.paid', '{}', now() - (i % 3600) * interval '1 second' FROM generate_series(1, 100000) i`);
    await pool.query(`INSERT INTO endpoints (origin, state) SELECT 'https://m-' || i || '.example', CASE WHEN i % 500 = 0 THEN 'DISABLED' WHEN i % 700 = 0 THEN 'OPEN' ELSE 'ACTIVE' END FROM generate_series(1, 50000) i`);
    await pool.query('ANALYZE');
  }, 300_000);

  afterAll(async () => {
    await pool?.end();
    await capturing.end();
    await world?.destroy();
  });

  const sent = async (call: () => Promise<unknown>) => {
    capturing.sent = undefined;
    await call();
    return capturing.sent!;
  };

  it.each<[string, (repository: AlertsRepository) => Promise<unknown>, boolean]>([
    ["the check: each group's failures in the window", (alerts) => alerts.recentGroups(capturing, 300_000), false],
    ['the check: conditions under way', (alerts) => alerts.openConditions(capturing), false],
    ['the check: failures out of the window pruned', (alerts) => alerts.pruneFailures(capturing, 300_000, 5_000), true],
    ['sending: the claim of one alert', (alerts) => alerts.claimSend('00000000-0000-4000-8000-000000000001', 10_000), true],
    ['retention: alerts sent and over', (alerts) => alerts.pruneSent(30 * 86_400_000, 1_000), true],
  ])('%s reads no big table whole', async (_, call, writes) => {
    const { statement, values } = await sent(() => call(new AlertsRepository(capturing)));
    await expectIndexBacked(statement.text, values, writes);
  });

  it('the check: the oldest event waiting reads no big table whole', async () => {
    const { statement, values } = await sent(() => new OutboxRepository(capturing).oldestReady());
    const plan = await expectIndexBacked(statement.text, values, false);
    expect(indexesIn(plan)).toContain('outbox_created_at');
  });

  it('backstop_endpoints counts the endpoints not ACTIVE along their partial index', async () => {
    const { statement, values } = await sent(() => new EndpointsRepository(capturing).countByState());
    const [{ 'QUERY PLAN': [{ Plan }] }] = (await pool.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement.text}`, values)).rows;
    expect(indexesIn(Plan)).toContain('endpoints_troubled');
    const { rows } = await pool.query(statement.text, values);
    expect(Object.fromEntries(rows.map((row: { state: string; count: number }) => [row.state, row.count]))).toEqual({ ACTIVE: 49843, OPEN: 57, DISABLED: 100 });
  });

  async function expectIndexBacked(text: string, values: unknown[], writes: boolean): Promise<PlanNode> {
    if (writes) await pool.query('BEGIN');
    try {
      const [{ 'QUERY PLAN': [{ Plan }] }] = (await pool.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values)).rows;
      expect(fullScanIn(Plan, BIG_TABLES)).toBeUndefined();
      const started = process.hrtime.bigint();
      await pool.query(text, values);
      expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(TIME_BOUND_MS);
      return Plan;
    } finally {
      if (writes) await pool.query('ROLLBACK');
    }
  }
});
