/**
 * Grows a backstop database to production size with set-based SQL (INSERT … SELECT over
 * generate_series, on two connections side by side), rows shaped as the repositories write
 * them: orders with their items, reservations and notifications, the delivery log, the
 * handlers' processed-message markers, failed messages with their ops actions, merchants and
 * their endpoints, spread over the last SPAN_DAYS days so that retention has rows due.
 *
 * Every value is a function of a row's number (md5 and hashint8 of it), so the statements need
 * no joins between them: order i's id, merchant, status, times and items are the same wherever
 * a statement works them out. Secondary indexes are dropped before the load and built again
 * after from their own definitions (pg_get_indexdef), which is several times faster than
 * keeping them up to date row by row; then VACUUM ANALYZE, as autovacuum would leave them.
 *
 * processed_messages and deliveries may be partitioned by day (PARTITION BY RANGE on
 * processed_at / attempted_at, partitions `<table>_pYYYYMMDD`): the back-dated partitions the
 * rows need are made first. A plain table is filled as it is.
 */
import { Client } from 'pg';
import { failureGroupOf } from '../../src/compensation/failed-messages/failure-group';
import { indexesBackingNoConstraint } from '../../test/support/load-indexes';

export const SPAN_DAYS = 60;
const DAY_MS = 86_400_000;
const SKUS = 200;
/** The tables filled row by row here, whose secondary indexes are rebuilt after the load. */
const BIG_TABLES = ['orders', 'order_items', 'stock_reservations', 'notifications', 'deliveries', 'processed_messages', 'failed_messages', 'failed_message_actions'];
/** May be PARTITION BY RANGE on their time column, a partition per UTC day. */
export const PARTITIONED = { processed_messages: 'processed_at', deliveries: 'attempted_at' } as const;
/** The production NOTIFY_RETRY_SCHEDULE (3s,30s,60s,120s,180s,300s) as seconds from the first attempt. */
const ATTEMPT_OFFSETS_S = [0, 3, 33, 93, 213, 393, 693];
/** The handlers whose markers processed_messages holds, in the order an order's messages reach them, with their delay after the order. */
const HANDLER_RUNS = [
  { handler: 'stock.reserve', afterMs: 15 },
  { handler: 'orders.stock-result', afterMs: 35 },
  { handler: 'orders.payment-timeout', afterMs: 30 * 60_000 },
  { handler: 'notify.merchant', afterMs: 30 * 60_000 + 500 },
  { handler: 'stock.release', afterMs: 30 * 60_000 + 600 },
];

/** How many rows of each kind: the brief's production size times `scale`. */
export interface GrowthPlan {
  scale: number;
  orders: number;
  deliveries: number;
  processed: number;
  failed: number;
  /** Of `failed`, how many are still FAILED (the rest RESOLVED or DISCARDED). */
  failedOpen: number;
  merchants: number;
  spanDays: number;
}

export function growthPlan(scale: number): GrowthPlan {
  const of = (count: number, minimum: number) => Math.max(minimum, Math.round(count * scale));
  return {
    scale,
    orders: of(2_000_000, 1_000),
    deliveries: of(3_000_000, 1_500),
    processed: of(5_000_000, 2_500),
    failed: of(300_000, 150),
    failedOpen: of(20_000, 10),
    merchants: of(2_000, 20),
    spanDays: SPAN_DAYS,
  };
}

/** A registered merchant: its notify origin (one endpoint each) and its signing secret as the registry stores it. */
export interface MerchantSeed {
  id: string;
  origin: string;
  secretEncrypted: string;
}

export interface GrowthReport {
  /** The instant the rows are dated back from. */
  grownAt: Date;
  rows: Record<string, number>;
  seconds: { partitions: number; insert: number; indexes: number; vacuum: number; checkpoint: number; total: number };
  partitioned: string[];
  partitionsMade: number;
  indexesRebuilt: number;
}

/** Merchant m's id: `m-0001` … (registered in the grown database; unknown, and signed with NOTIFY_SIGNING_SECRET, in an empty one). */
export function merchantId(m: number): string {
  return `m-${String(m).padStart(4, '0')}`;
}

/** Connections made the same way, with what a bulk load wants for its own session only. */
async function loader(databaseUrl: string, origins: string[]): Promise<Client> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`SET synchronous_commit = off`);
  await client.query(`SET maintenance_work_mem = '256MB'`);
  await client.query(`SET work_mem = '64MB'`);
  // Two connections already keep both cores busy; parallel workers would only queue behind them.
  await client.query(`SET max_parallel_maintenance_workers = 0`);
  await client.query(`SET max_parallel_workers_per_gather = 0`);
  // Row n's values: a v4-shaped UUID and a non-negative hash, salted. Immutable SQL, so inlined.
  await client.query(
    `CREATE FUNCTION pg_temp.uid(text, bigint) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
       AS $$ SELECT overlay(overlay(md5($1 || '-' || $2::text) placing '4' from 13) placing '8' from 17)::uuid $$`,
  );
  await client.query(
    `CREATE FUNCTION pg_temp.h(bigint, int) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE
       AS $$ SELECT hashint8($1 * 1000003 + $2) & 2147483647 $$`,
  );
  // Merchant m's origin, joined rather than taken from an array parameter (whose m-th element is found by walking the array).
  await client.query(`CREATE TEMPORARY TABLE origins (m int PRIMARY KEY, origin text NOT NULL)`);
  await client.query(`INSERT INTO pg_temp.origins SELECT n, origin FROM unnest($1::text[]) WITH ORDINALITY AS o (origin, n)`, [origins]);
  await client.query(`ANALYZE pg_temp.origins`);
  return client;
}

/**
 * Order i's facts as every statement below works them out (columns: i, id, created_at, m,
 * origin, status, r, paid_at, outcome_at, n_items, and its items s1…s3 and q1…q3): created evenly over the span, merchants skewed
 * (a few large, many small), and the statuses of a live shop: the last half hour still
 * PENDING or CONFIRMED, older ones PAID (80%), REJECTED (5%) or CANCELLED by the payment timeout.
 */
function orderFacts(plan: GrowthPlan): string {
  const step = (plan.spanDays * 86_400) / plan.orders;
  return `
    SELECT i, pg_temp.uid('o', i) AS id, a.created_at, a.m, origin.origin, b.status, a.r, c.paid_at,
           CASE b.status WHEN 'PAID' THEN c.paid_at
                         WHEN 'REJECTED' THEN a.created_at + interval '200 milliseconds'
                         WHEN 'CANCELLED' THEN a.created_at + interval '30 minutes' END AS outcome_at,
           1 + pg_temp.h(i, 4) % 3 AS n_items,
           pg_temp.uid('n', i) AS event_id, pg_temp.uid('e', a.m) AS endpoint_id,
           ${NOTIFICATION_FAILED} AS failed,
           CASE WHEN ${NOTIFICATION_FAILED} THEN 7 WHEN pg_temp.h(i, 7) % 100 < ${secondAttemptShare(plan)} THEN 2 ELSE 1 END AS attempts,
           ${[1, 2, 3].map((k) => `1 + (pg_temp.h(i, 5) + ${k * 17}) % ${SKUS} AS s${k}, 1 + pg_temp.h(i, ${10 + k}) % 3 AS q${k}`).join(',\n           ')}
      FROM generate_series(1, ${plan.orders}) AS i
     CROSS JOIN LATERAL (SELECT $1::timestamptz - interval '${plan.spanDays} days' + (i - 0.5::float8) * ${step}::float8 * interval '1 second' AS created_at,
                                (1 + floor(${plan.merchants} * power(pg_temp.h(i, 1) / 2147483648.0::float8, 2)))::int AS m,
                                pg_temp.h(i, 2) % 100 AS r) AS a
     CROSS JOIN LATERAL (SELECT CASE WHEN a.created_at > $1::timestamptz - interval '30 minutes'
                                     THEN CASE WHEN a.r < 2 THEN 'PENDING' WHEN a.r < 45 THEN 'CONFIRMED' WHEN a.r < 50 THEN 'REJECTED' ELSE 'PAID' END
                                     ELSE CASE WHEN a.r < 80 THEN 'PAID' WHEN a.r < 85 THEN 'REJECTED' ELSE 'CANCELLED' END END AS status) AS b
     CROSS JOIN LATERAL (SELECT CASE WHEN b.status = 'PAID'
                                     THEN least(a.created_at + (20 + pg_temp.h(i, 3) % 580) * interval '1 second',
                                                a.created_at + ($1::timestamptz - a.created_at) / 2) END AS paid_at) AS c
      JOIN pg_temp.origins AS origin ON origin.m = a.m
    -- A fence: each order's facts are worked out once, not again for each item or attempt joined to it.
    OFFSET 0`;
}

/**
 * Order o's items, one to three distinct SKUs priced as the stock table prices them, as rows
 * (k, s, q): joined with a constant three-row list rather than a set-returning function per order.
 */
const ITEMS = `CROSS JOIN (VALUES (1), (2), (3)) AS k (k)
     CROSS JOIN LATERAL (SELECT CASE k.k WHEN 1 THEN o.s1 WHEN 2 THEN o.s2 ELSE o.s3 END AS s, CASE k.k WHEN 1 THEN o.q1 WHEN 2 THEN o.q2 ELSE o.q3 END AS q) AS item`;
const SKU = (s: string) => `'SKU-' || lpad((${s})::text, 4, '0')`;
const PRICE = (s: string) => `(100 + ((${s}) * 37) % 9900)`;

/**
 * Order i's notification (once the order has an outcome) and its attempts: 1% FAILED after the
 * whole schedule (7 attempts); of the others a share needed a second attempt, as many as make
 * the delivery log the planned size.
 */
const NOTIFICATION_FAILED = `pg_temp.h(i, 6) % 100 = 0`;
function secondAttemptShare(plan: GrowthPlan): number {
  return Math.max(0, Math.min(100, Math.round(100 * ((plan.deliveries / plan.orders - 0.07) / 0.99 - 1))));
}
const ATTEMPT_AT = (attempt: string) =>
  `least(o.outcome_at + interval '50 milliseconds' + (ARRAY[${ATTEMPT_OFFSETS_S.join(',')}])[${attempt}] * interval '1 second', $1::timestamptz - interval '1 second')`;
const FINAL = `o.status IN ('PAID', 'REJECTED', 'CANCELLED')`;

interface Job {
  name: string;
  table: string;
  sql: string;
  values: unknown[];
}

/**
 * The ways handlers fail, a hundred in all, each handler's share by how many it has (40%
 * notify.merchant, 20% stock.reserve, …): the first line of the error and, when the schema has
 * failure groups, its group as FailureRecorder works it out (failureGroupOf). Some name a
 * merchant's endpoint, so the busiest endpoints have groups of their own.
 */
function failureKinds(origins: string[]): { handler: string; routingKey: string; message: string; fingerprint: string; endpoint: string | null; key: string }[] {
  const of = (handler: string, routingKey: string, weight: number, message: string) => Array.from({ length: weight }, () => ({ handler, routingKey, message }));
  const origin = (index: number) => origins[index % origins.length];
  const kinds = [
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((index) => of('notify.merchant', 'order.paid', 3, `DeliveryFailedError: HTTP 503 from ${origin(index)}/notify?o=7`)),
    ...[8, 9, 10, 11].flatMap((index) => of('notify.merchant', 'order.paid', 2, `DeliveryFailedError: no answer within 5000 ms from ${origin(index)}/notify`)),
    ...of('notify.merchant', 'order.cancelled', 8, 'SecretUnreadableError: a merchant secret is encrypted under key 3fa2c9d1, SECRETS_KEY is 8be01f44'),
    ...of('stock.reserve', 'order.created', 12, 'QueryFailedError: canceling statement due to lock timeout'),
    ...of('stock.reserve', 'order.created', 8, 'Error: connect ECONNREFUSED 10.0.4.12:5432'),
    ...of('orders.stock-result', 'stock.reserved', 10, 'QueryFailedError: canceling statement due to lock timeout'),
    ...of('orders.stock-result', 'stock.rejected', 5, 'QueryFailedError: could not serialize access due to concurrent update'),
    ...of('orders.payment-timeout', 'order.confirmed', 10, 'Error: Connection terminated unexpectedly'),
    ...of('stock.release', 'order.cancelled', 5, 'QueryFailedError: canceling statement due to lock timeout'),
    ...of('loyalty.points', 'order.paid', 6, 'Error: connect ECONNREFUSED 10.0.4.12:5432'),
    ...of('loyalty.points', 'order.paid', 4, 'LoyaltyError: account 88213 not found'),
  ];
  return kinds.map((kind) => ({ ...kind, ...failureGroupOf(kind.handler, kind.message) }));
}

function jobs(plan: GrowthPlan, grownAt: Date, merchants: MerchantSeed[], groups: boolean): Job[][] {
  const at = grownAt.toISOString();
  const kinds = failureKinds(merchants.map((merchant) => merchant.origin));
  const kindColumns = [
    kinds.map((kind) => kind.handler),
    kinds.map((kind) => kind.routingKey),
    kinds.map((kind) => kind.message),
    kinds.map((kind) => kind.fingerprint),
    kinds.map((kind) => kind.endpoint),
    kinds.map((kind) => kind.key),
  ];
  const origins = merchants.map((merchant) => merchant.origin);
  const facts = orderFacts(plan);
  const failedEvery = Math.max(1, Math.round(plan.failed / plan.failedOpen));
  const failedStep = (plan.spanDays * 86_400) / plan.failed;
  const processedStep = `(p - 1) * ${plan.orders}::bigint / ${plan.processed}`;
  // Each inner list runs in order on one connection (order_items needs its orders); the lists run side by side, longest first.
  return [
    [
      {
        name: 'orders',
        table: 'orders',
        values: [at],
        sql: `
          INSERT INTO orders (id, merchant_id, status, total_amount, currency, notify_url, reason, trade_no, paid_at,
                              idempotency_key, request_fingerprint, created_at, updated_at)
          SELECT o.id, 'm-' || lpad(o.m::text, 4, '0'), o.status, t.total, 'CNY', o.origin || '/notify',
                 CASE o.status WHEN 'REJECTED' THEN 'not enough stock for SKU-' || lpad((1 + pg_temp.h(o.i, 5) % ${SKUS})::text, 4, '0') || ': 0 available, 1 wanted'
                               WHEN 'CANCELLED' THEN 'unpaid: payment timeout' END,
                 CASE WHEN o.status = 'PAID' THEN 'T' || lpad(o.i::text, 12, '0') END,
                 o.paid_at,
                 CASE WHEN o.r % 10 < 3 THEN 'idem-' || md5('k' || o.i) END,
                 CASE WHEN o.r % 10 < 3 THEN encode(sha256(('f' || o.i)::bytea), 'hex') END,
                 o.created_at,
                 coalesce(o.outcome_at, o.created_at + CASE WHEN o.status = 'CONFIRMED' THEN interval '40 milliseconds' ELSE interval '0' END)
            FROM (${facts}) AS o
           CROSS JOIN LATERAL (SELECT (o.q1 * ${PRICE('o.s1')} + CASE WHEN o.n_items >= 2 THEN o.q2 * ${PRICE('o.s2')} ELSE 0 END
                                       + CASE WHEN o.n_items >= 3 THEN o.q3 * ${PRICE('o.s3')} ELSE 0 END)::bigint AS total) AS t`,
      },
      {
        name: 'order_items',
        table: 'order_items',
        values: [at],
        sql: `
          INSERT INTO order_items (order_id, sku, quantity, unit_price)
          SELECT o.id, ${SKU('item.s')}, item.q, ${PRICE('item.s')}
            FROM (${facts}) AS o ${ITEMS}
           WHERE k.k <= o.n_items`,
      },
    ],
    [
      {
        name: 'processed_messages',
        table: 'processed_messages',
        values: [at],
        // Marker p belongs to order i (2.5 a order on average), its k-th handler run; the message id
        // a plain md5 (no API reads it back as a UUID of a version).
        sql: `
          INSERT INTO processed_messages (handler, message_id, processed_at)
          SELECT (ARRAY[${HANDLER_RUNS.map((run) => `'${run.handler}'`).join(',')}])[1 + x.k], md5('m' || x.k || '-' || x.i)::uuid,
                 least($1::timestamptz - interval '${plan.spanDays} days' + (x.i - 0.5::float8) * ${(plan.spanDays * 86_400) / plan.orders}::float8 * interval '1 second'
                         + (ARRAY[${HANDLER_RUNS.map((run) => run.afterMs).join(',')}])[1 + x.k] * interval '1 millisecond',
                       $1::timestamptz - interval '1 second')
            FROM generate_series(1, ${plan.processed}) AS p
           CROSS JOIN LATERAL (SELECT 1 + ${processedStep} AS i) AS y
           CROSS JOIN LATERAL (SELECT y.i AS i, least(p - 1 - ((y.i - 1) * ${plan.processed}::bigint + ${plan.orders} - 1) / ${plan.orders}, ${HANDLER_RUNS.length - 1})::int AS k) AS x`,
      },
    ],
    [
      {
        name: 'deliveries',
        table: 'deliveries',
        values: [at],
        // As NotificationsRepository's claim and recordAttempt leave them; the id from the table's own sequence.
        sql: `
          INSERT INTO deliveries (event_id, order_id, attempt, url, http_status, duration_ms, delivered, error, attempted_at, endpoint_id, response_snippet)
          SELECT o.event_id, o.id, a, o.origin || '/notify',
                 CASE WHEN d.ok THEN 200 WHEN d.timeout THEN NULL ELSE 503 END,
                 CASE WHEN d.ok THEN 15 + pg_temp.h(o.i, 20 + a) % 185 WHEN d.timeout THEN 5000 ELSE 30 + pg_temp.h(o.i, 20 + a) % 400 END,
                 d.ok,
                 CASE WHEN d.ok THEN NULL WHEN d.timeout THEN 'no answer within 5000 ms' ELSE 'HTTP 503' END,
                 ${ATTEMPT_AT('a')}, o.endpoint_id,
                 CASE WHEN d.ok THEN 'success' WHEN NOT d.timeout THEN '<html><body><h1>503 Service Unavailable</h1></body></html>' END
            FROM (${facts}) AS o
           CROSS JOIN (VALUES ${ATTEMPT_OFFSETS_S.map((_, index) => `(${index + 1})`).join(', ')}) AS attempt (a)
           CROSS JOIN LATERAL (SELECT a = o.attempts AND NOT o.failed AS ok, pg_temp.h(o.i, 30 + a) % 3 = 0 AS timeout) AS d
           WHERE ${FINAL} AND a <= o.attempts`,
      },
    ],
    [
      {
        name: 'notifications',
        table: 'notifications',
        values: [at],
        sql: `
          INSERT INTO notifications (event_id, order_id, event_type, state, attempts, last_attempt_at, next_attempt_at, delivered_at, lease_until, created_at)
          SELECT o.event_id, o.id, 'order.' || lower(o.status), CASE WHEN o.failed THEN 'FAILED' ELSE 'DELIVERED' END, o.attempts,
                 ${ATTEMPT_AT('o.attempts')}, NULL,
                 CASE WHEN NOT o.failed THEN ${ATTEMPT_AT('o.attempts')} + (15 + pg_temp.h(o.i, 20 + o.attempts) % 185) * interval '1 millisecond' END,
                 NULL, o.outcome_at + interval '30 milliseconds'
            FROM (${facts}) AS o
           WHERE ${FINAL}`,
      },
    ],
    [
      {
        name: 'stock_reservations',
        table: 'stock_reservations',
        values: [at],
        sql: `
          INSERT INTO stock_reservations (order_id, state, items, reserved_at, released_at)
          SELECT o.id, CASE WHEN o.status = 'CANCELLED' THEN 'RELEASED' ELSE 'RESERVED' END, r.items,
                 o.created_at + interval '15 milliseconds', CASE WHEN o.status = 'CANCELLED' THEN o.outcome_at + interval '40 milliseconds' END
            FROM (${facts}) AS o
           CROSS JOIN LATERAL (SELECT ${[1, 2, 3].map((k) => `jsonb_build_object('sku', ${SKU(`o.s${k}`)}, 'quantity', o.q${k}, 'unitPrice', ${PRICE(`o.s${k}`)}) AS i${k}`).join(', ')}) AS it
           CROSS JOIN LATERAL (SELECT CASE o.n_items WHEN 1 THEN jsonb_build_array(it.i1) WHEN 2 THEN jsonb_build_array(it.i1, it.i2)
                                                     ELSE jsonb_build_array(it.i1, it.i2, it.i3) END AS items) AS r
           WHERE o.status IN ('CONFIRMED', 'PAID', 'CANCELLED')`,
      },
    ],
    [
      {
        name: 'failed_messages',
        table: 'failed_messages',
        values: [at, ...kindColumns],
        // As FailureRecorder records them and the sweeper, re-runs and ops leave them: the FAILED
        // ones spread through time (old ones past their sweeps, recent ones with a sweep ahead),
        // the others RESOLVED or DISCARDED; every handler, in the failure groups of their kinds, a few poison.
        sql: `
          WITH kind AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY
                                         AS k (handler, routing_key, message, fingerprint, endpoint, group_key, n))
          INSERT INTO failed_messages (id, handler, queue, message_id, routing_key, payload, headers, error, errors, attempts, status, poison,
                                       sweep_count, first_failed_at, last_failed_at, next_sweep_at, resolved_at, discard_reason, order_id
                                       ${groups ? ', fingerprint, endpoint, failure_group' : ''})
          SELECT pg_temp.uid('f', j), w.handler, w.handler, pg_temp.uid('fm', j)::text, w.routing_key,
                 CASE WHEN w.poison THEN '{"id": "' || pg_temp.uid('fm', j) || '", "type": ' || repeat('x', 40)
                      ELSE json_build_object('id', pg_temp.uid('fm', j), 'type', w.routing_key, 'occurredAt', to_char(w.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                             'data', json_build_object('orderId', w.order_id, 'merchantId', 'm-' || lpad((1 + pg_temp.h(j, 9) % ${plan.merchants})::text, 4, '0'),
                                                       'amount', 100 + pg_temp.h(j, 8) % 50000, 'currency', 'CNY'))::text END,
                 jsonb_build_object('x-attempt', 3),
                 w.message || E'\\n    at ' || w.handler || E' (dist/compensation/handlers/handler-runner.js:131:27)\\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
                 jsonb_build_array(jsonb_build_object('attempt', 1, 'at', w.at - interval '6 seconds', 'error', w.message),
                                   jsonb_build_object('attempt', 2, 'at', w.at - interval '5 seconds', 'error', w.message),
                                   jsonb_build_object('attempt', 3, 'at', w.at, 'error', w.message)),
                 3, w.status, w.poison,
                 CASE WHEN w.status = 'FAILED' THEN CASE WHEN w.recent THEN pg_temp.h(j, 10) % 5 ELSE 5 END ELSE pg_temp.h(j, 10) % 3 END,
                 w.at, w.last_at,
                 CASE WHEN w.status = 'FAILED' AND w.recent AND NOT w.poison THEN $1::timestamptz + interval '1 hour' + pg_temp.h(j, 11) % 50000 * interval '1 second' END,
                 CASE w.status WHEN 'RESOLVED' THEN least(w.at + (600 + pg_temp.h(j, 12) % 250000) * interval '1 second', $1::timestamptz - interval '1 minute')
                               WHEN 'DISCARDED' THEN least(w.at + (3600 + pg_temp.h(j, 12) % 400000) * interval '1 second', $1::timestamptz - interval '1 minute') END,
                 CASE WHEN w.status = 'DISCARDED' THEN (ARRAY['merchant closed its account', 'duplicate of a later message', 'refunded by hand', 'test order'])[1 + pg_temp.h(j, 13) % 4] END,
                 CASE WHEN NOT w.poison THEN w.order_id END
                 ${groups ? ', w.fingerprint, w.endpoint, w.group_key' : ''}
            FROM generate_series(1, ${plan.failed}) AS j
           CROSS JOIN LATERAL (SELECT $1::timestamptz - interval '${plan.spanDays} days' + (j - 0.5::float8) * ${failedStep}::float8 * interval '1 second' AS at,
                                      1 + pg_temp.h(j, 2) % ${kinds.length} AS kind) AS v
           CROSS JOIN LATERAL (
             SELECT v.at, kind.handler, kind.routing_key, kind.message, kind.fingerprint, kind.endpoint, kind.group_key,
                    CASE WHEN j % ${failedEvery} = 0 THEN 'FAILED' WHEN pg_temp.h(j, 1) % 3 = 0 THEN 'DISCARDED' ELSE 'RESOLVED' END AS status,
                    pg_temp.h(j, 3) % 200 = 0 AS poison,
                    v.at > $1::timestamptz - interval '1 day' AS recent,
                    least(v.at + CASE WHEN j % ${failedEvery} = 0 AND v.at <= $1::timestamptz - interval '1 day' THEN interval '24 hours' ELSE interval '0' END,
                          $1::timestamptz - interval '1 minute') AS last_at,
                    pg_temp.uid('o', 1 + floor((j - 0.5::float8) * ${plan.orders}::float8 / ${plan.failed})::bigint) AS order_id
               FROM kind WHERE kind.n = v.kind
           ) AS w`,
      },
      {
        name: 'failed_message_actions',
        table: 'failed_message_actions',
        values: [],
        // A discard by an operator; a resolution by an operator's re-run or by the sweeper's; nothing on a row still FAILED.
        sql: `
          INSERT INTO failed_message_actions (failed_message_id, action, actor, reason, at)
          SELECT id, CASE WHEN status = 'DISCARDED' THEN 'discard' WHEN pg_temp.h(j, 14) % 10 < 4 THEN 'retry' ELSE 'sweep' END,
                 CASE WHEN status = 'RESOLVED' AND pg_temp.h(j, 14) % 10 >= 4 THEN 'sweeper' ELSE (ARRAY['alice', 'bob', 'carol'])[1 + pg_temp.h(j, 15) % 3] END,
                 discard_reason, resolved_at - interval '30 seconds'
            FROM (SELECT f.*, row_number() OVER () AS j FROM failed_messages f WHERE status IN ('RESOLVED', 'DISCARDED')) AS closed`,
      },
    ],
    [
      {
        name: 'stock',
        table: 'stock',
        values: [at],
        sql: `INSERT INTO stock (sku, available, unit_price, updated_at)
              SELECT ${SKU('s')}, 1000000 + pg_temp.h(s, 1) % 1000000, ${PRICE('s')}, $1::timestamptz FROM generate_series(1, ${SKUS}) AS s`,
      },
      {
        name: 'merchants',
        table: 'merchants',
        values: [at, merchants.map((merchant) => merchant.id), origins, merchants.map((merchant) => merchant.secretEncrypted)],
        sql: `INSERT INTO merchants (id, name, notify_origins, success_rule, secret_encrypted, secret_rotated_at, created_at, updated_at)
              SELECT m.id, 'Merchant ' || substr(m.id, 3), ARRAY[m.origin], NULL, m.secret,
                     CASE WHEN m.n % 10 = 0 THEN $1::timestamptz - interval '20 days' END,
                     $1::timestamptz - interval '${plan.spanDays + 30} days' + m.n * interval '10 minutes',
                     $1::timestamptz - interval '${plan.spanDays + 30} days' + m.n * interval '10 minutes'
                FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS m (id, origin, secret, n)`,
      },
      {
        name: 'endpoints',
        table: 'endpoints',
        values: [at, origins],
        // Every one ACTIVE (notifications to each must go through in the RSS run), a few with limits of their own and failures behind them.
        sql: `INSERT INTO endpoints (id, origin, state, last_success_at, last_failure_at, last_error, created_at, concurrency, rate_limit)
              SELECT pg_temp.uid('e', m.n), m.origin, 'ACTIVE', $1::timestamptz - (pg_temp.h(m.n, 1) % 3600) * interval '1 second',
                     CASE WHEN m.n % 3 = 0 THEN $1::timestamptz - (pg_temp.h(m.n, 2) % 86400) * interval '1 second' END,
                     CASE WHEN m.n % 3 = 0 THEN 'HTTP 503' END,
                     $1::timestamptz - interval '${plan.spanDays + 30} days' + m.n * interval '10 minutes',
                     CASE WHEN m.n % 50 = 0 THEN 8 END, CASE WHEN m.n % 100 = 0 THEN 50 END
                FROM unnest($2::text[]) WITH ORDINALITY AS m (origin, n)`,
      },
      {
        name: 'ops_actions',
        table: 'ops_actions',
        values: [at, merchants.map((merchant) => merchant.id), origins],
        sql: `INSERT INTO ops_actions (at, actor, action, subject_type, subject_id, detail)
              SELECT $1::timestamptz - interval '${plan.spanDays + 30} days' + m.n * interval '10 minutes', 'alice', 'merchant.create', 'merchant', m.id,
                     jsonb_build_object('name', 'Merchant ' || substr(m.id, 3), 'notifyOrigins', jsonb_build_array(m.origin),
                                        'events', jsonb_build_array('order.paid', 'order.rejected', 'order.cancelled'), 'successRule', NULL)
                FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS m (id, origin, n)`,
      },
      {
        name: 'payment_incidents',
        table: 'payment_incidents',
        values: [at],
        sql: `INSERT INTO payment_incidents (order_id, trade_no, amount, order_status, source, received_at)
              SELECT pg_temp.uid('o', n * 9973 % ${plan.orders} + 1), 'T-late-' || n, 100 + pg_temp.h(n, 1) % 50000, 'CANCELLED', 'callback',
                     $1::timestamptz - (pg_temp.h(n, 2) % ${plan.spanDays * 86_400}) * interval '1 second'
                FROM generate_series(1, ${Math.max(1, Math.round(plan.orders / 10_000))}) AS n`,
      },
    ],
  ];
}

/** Which of the PARTITIONED tables are partitioned here (pg_class.relkind 'p'). */
export async function partitionedTables(client: Client): Promise<string[]> {
  const { rows } = await client.query<{ relname: string }>(
    `SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'p' AND relname = ANY($1)`,
    [Object.keys(PARTITIONED)],
  );
  return rows.map((row) => row.relname);
}

/**
 * A partition per UTC day from `from`'s to `to`'s, `<table>_pYYYYMMDD`, as the migration
 * names the ones it makes from today on; one that exists already is left alone. Answers how many it made.
 */
export async function makeDailyPartitions(client: Client, table: string, from: Date, to: Date): Promise<number> {
  let made = 0;
  for (let day = Math.floor(from.getTime() / DAY_MS) * DAY_MS; day <= to.getTime(); day += DAY_MS) {
    const start = new Date(day).toISOString().slice(0, 10);
    const end = new Date(day + DAY_MS).toISOString().slice(0, 10);
    const name = `${table}_p${start.replaceAll('-', '')}`;
    const { rows } = await client.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [`public.${name}`]);
    if (rows[0].exists) continue;
    await client.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${table} FOR VALUES FROM ('${start} 00:00:00+00') TO ('${end} 00:00:00+00')`);
    made += 1;
  }
  return made;
}

interface SchemaObject {
  name: string;
  table: string;
  /** The statement that drops it, and the one that makes it again as the migrations made it. */
  drop: string;
  make: string;
}

/**
 * What a load is faster without, to be made again after it from PostgreSQL's own definitions:
 * the foreign keys between `tables`, their primary keys, and their other indexes (none that
 * backs a constraint). Each kind in the order it must be dropped; made again in reverse.
 */
async function loadHindrances(client: Client, tables: string[]): Promise<{ foreignKeys: SchemaObject[]; primaryKeys: SchemaObject[]; indexes: SchemaObject[] }> {
  const constraints = async (type: 'f' | 'p') =>
    (
      await client.query<{ name: string; table: string; definition: string }>(
        `SELECT c.conname AS name, t.relname AS table, pg_get_constraintdef(c.oid) AS definition
           FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
          WHERE t.relnamespace = 'public'::regnamespace AND t.relname = ANY($1) AND c.contype = $2 AND c.conparentid = 0
          ORDER BY t.relname`,
        [tables, type],
      )
    ).rows.map((row) => ({
      name: row.name,
      table: row.table,
      drop: `ALTER TABLE ${row.table} DROP CONSTRAINT "${row.name}"`,
      make: `ALTER TABLE ${row.table} ADD CONSTRAINT "${row.name}" ${row.definition}`,
    }));
  return {
    foreignKeys: await constraints('f'),
    primaryKeys: await constraints('p'),
    indexes: await indexesBackingNoConstraint(async (sql, values) => (await client.query(sql, values)).rows, tables),
  };
}

/** Runs `work` items on `clients` side by side, each client taking the next item when it is done. */
async function sideBySide<T>(clients: Client[], items: T[], work: (client: Client, item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (next < items.length) await work(client, items[next++]);
    }),
  );
}

/**
 * The tables with a fill factor below 100, set to 100 for the load; answers their own, to set
 * again after it. A table loaded in bulk at 90% keeps, on each page, room for a row beyond its
 * tenth, and once VACUUM has recorded it every new row goes to a different old page, each a
 * full-page image in the WAL after a checkpoint (measured: one an order on each of `orders`
 * and `stock_reservations`). A production table grown row by row has had that room taken
 * long since, as new rows filled each page; packed full, then set back to its fill factor, a
 * grown table's old pages have no room for a new row either, as in a database that ran
 * before its fill factor was set (docs/benchmarks.md, run 27).
 */
async function packForLoad(client: Client, tables: string[]): Promise<{ table: string; fillFactor: number }[]> {
  const { rows } = await client.query<{ table: string; fillFactor: number }>(
    `SELECT c.relname AS table, substring(option from 'fillfactor=(\\d+)')::int AS "fillFactor"
       FROM pg_class c CROSS JOIN LATERAL unnest(c.reloptions) AS option
      WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY($1) AND option LIKE 'fillfactor=%'`,
    [tables],
  );
  for (const { table } of rows) await client.query(`ALTER TABLE ${table} SET (fillfactor = 100)`);
  return rows;
}

export async function grow(databaseUrl: string, plan: GrowthPlan, merchants: MerchantSeed[], log: (line: string) => void): Promise<GrowthReport> {
  if (merchants.length !== plan.merchants) throw new Error(`grow: ${plan.merchants} merchants planned, ${merchants.length} given`);
  const began = performance.now();
  const origins = merchants.map((merchant) => merchant.origin);
  const clients = [await loader(databaseUrl, origins), await loader(databaseUrl, origins)];
  try {
    const [first] = clients;
    const grownAt: Date = (await first.query<{ now: Date }>(`SELECT now() AS now`)).rows[0].now;
    const rows: Record<string, number> = {};

    const partitioned = await partitionedTables(first);
    let partitionsMade = 0;
    for (const table of partitioned) partitionsMade += await makeDailyPartitions(first, table, new Date(grownAt.getTime() - plan.spanDays * DAY_MS - DAY_MS), grownAt);
    const partitionsAt = performance.now();
    if (partitioned.length > 0) log(`partitioned: ${partitioned.join(', ')}; ${partitionsMade} back-dated daily partitions made`);

    const fillFactors = await packForLoad(first, BIG_TABLES);
    const { foreignKeys, primaryKeys, indexes } = await loadHindrances(first, BIG_TABLES);
    for (const each of [...foreignKeys, ...primaryKeys, ...indexes]) await first.query(each.drop);
    log(`dropped ${foreignKeys.length} foreign keys, ${primaryKeys.length} primary keys and ${indexes.length} indexes for the load (made again after it)`);

    // Failure groups (handler, error fingerprint, endpoint), in a schema that has them.
    const groups = (
      await first.query(`SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'failed_messages' AND column_name = 'failure_group'`)
    ).rows.length > 0;
    await sideBySide(clients, jobs(plan, grownAt, merchants, groups), async (client, chain) => {
      for (const job of chain) {
        const started = performance.now();
        const count = (await client.query(job.sql, job.values)).rowCount ?? 0;
        rows[job.table] = (rows[job.table] ?? 0) + count;
        log(`${job.name}: ${count.toLocaleString('en')} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }
    });
    const insertedAt = performance.now();
    for (const { table, fillFactor } of fillFactors) await first.query(`ALTER TABLE ${table} SET (fillfactor = ${fillFactor})`);

    // Largest tables first, so the two connections finish together.
    const sizes = new Map(Object.entries(rows));
    const largestFirst = (objects: SchemaObject[]) => [...objects].sort((a, b) => (sizes.get(b.table) ?? 0) - (sizes.get(a.table) ?? 0));
    await sideBySide(clients, largestFirst([...primaryKeys, ...indexes]), async (client, each) => {
      await client.query(each.make);
    });
    for (const each of foreignKeys) await first.query(each.make);
    const indexedAt = performance.now();
    log(`${primaryKeys.length} primary keys, ${indexes.length} indexes and ${foreignKeys.length} foreign keys made in ${((indexedAt - insertedAt) / 1000).toFixed(1)} s`);

    // As autovacuum leaves a table after a load: statistics, hint bits and the visibility map (index-only scans).
    const { rows: tables } = await first.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        ORDER BY pg_total_relation_size(c.oid) DESC`,
    );
    await sideBySide(clients, tables, async (client, table) => {
      await client.query(`VACUUM (ANALYZE) ${table.relname}`);
    });
    const vacuumedAt = performance.now();
    log(`VACUUM (ANALYZE) in ${((vacuumedAt - indexedAt) / 1000).toFixed(1)} s`);
    // A database that has been running has written its pages out long ago; what a load has
    // left to write would otherwise fall in the next checkpoint, among the figures measured.
    await first.query('CHECKPOINT');
    const checkpointedAt = performance.now();
    log(`CHECKPOINT in ${((checkpointedAt - vacuumedAt) / 1000).toFixed(1)} s`);

    return {
      grownAt,
      rows,
      seconds: {
        partitions: (partitionsAt - began) / 1000,
        insert: (insertedAt - partitionsAt) / 1000,
        indexes: (indexedAt - insertedAt) / 1000,
        vacuum: (vacuumedAt - indexedAt) / 1000,
        checkpoint: (checkpointedAt - vacuumedAt) / 1000,
        total: (checkpointedAt - began) / 1000,
      },
      partitioned,
      partitionsMade,
      indexesRebuilt: primaryKeys.length + indexes.length + foreignKeys.length,
    };
  } finally {
    for (const client of clients) await client.end();
  }
}

/**
 * `count` READY rows as a broker outage leaves them (OutboxPublisher postponed each after a
 * failed publish: attempts and last_error set), due now: `order.confirmed` events of
 * `orderIds` (cycled; random ids when none given), which the relay publishes to the
 * orders.payment-timeout delay queue (ORDER_PAYMENT_TIMEOUT, 30 min), so no consumer works on
 * them during the run: what is measured is the relay's own pace. Answers an instant after
 * the backlog's rows were made and before any other is.
 */
export async function insertOutboxBacklog(client: Client, count: number, orderIds: string[]): Promise<Date> {
  await client.query(
    `INSERT INTO outbox (id, state, routing_key, envelope, kind, check_back_id, attempts, last_error, created_at, next_attempt_at)
     SELECT e.id, 'READY', 'order.confirmed',
            jsonb_build_object('id', e.id, 'type', 'order.confirmed', 'occurredAt', to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                               'data', jsonb_build_object('orderId', coalesce(($2::uuid[])[1 + (i - 1) % greatest(cardinality($2::uuid[]), 1)], gen_random_uuid()))),
            NULL, NULL, 1 + i % 6, 'the broker connection is down', e.at, now() - interval '1 second'
       FROM generate_series(1, $1::int) AS i
      CROSS JOIN LATERAL (SELECT gen_random_uuid() AS id, now() - ($1::int - i) * interval '36 milliseconds' - interval '1 second' AS at) AS e`,
    [count, orderIds],
  );
  // Every row of the backlog was made before this; rows the platform writes later are made after.
  return (await client.query<{ now: Date }>(`SELECT now() AS now`)).rows[0].now;
}
