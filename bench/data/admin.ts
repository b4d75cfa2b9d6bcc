/**
 * The admin API and console queries: what the console fetches on first paint and on each
 * filter, pagination and detail, timed over HTTP one request at a time. For a query over
 * target, the statements the platform sends for it are taken from its own repositories (a
 * Db that keeps what it is asked to run; TypeORM's query log) with the same values, and
 * EXPLAINed (ANALYZE, BUFFERS) against the database measured, so the plan printed is the
 * plan of the statement the platform ran (pg_stat_statements may not be loaded).
 */
import { performance } from 'node:perf_hooks';
import { Client, Pool } from 'pg';
import { DataSource, Logger as OrmLogger } from 'typeorm';
import { AuditRepository } from '../../src/audit/audit.repository';
import { FailedMessagesHistory } from '../../src/compensation/failed-messages/failed-messages-history.repository';
import { FailureGroupsRepository } from '../../src/compensation/failed-messages/failure-groups.repository';
import { FailedMessageFilter, FailedMessagesListing } from '../../src/compensation/failed-messages/failed-messages-listing.repository';
import { ProcessedMessagesRepository } from '../../src/compensation/processed-messages.repository';
import { OutboxRepository } from '../../src/coordinator/outbox.repository';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { Db } from '../../src/database/db';
import { Statement } from '../../src/database/sql';
import { MerchantsRepository } from '../../src/merchants/merchants.repository';
import { DeliveriesRepository, DeliveryFilter, DeliveryPosition } from '../../src/notify/deliveries.repository';
import { Delivery } from '../../src/notify/delivery.entity';
import { EndpointsRepository } from '../../src/notify/endpoints.repository';
import { OrdersRepository } from '../../src/orders/orders.repository';
import { PaymentRepository } from '../../src/payment/payment.repository';
import { LoadClient } from '../pipeline/closed-loop';
import { percentile } from '../pipeline/measure';

/** docs/benchmarks.md: every admin and console query answers within this at p99. */
export const TARGET_P99_MS = 50;
/** The outbox's `stuck` count (STUCK_AFTER_ATTEMPTS of the check-back daemon). */
const STUCK_AFTER_ATTEMPTS = 5;

export interface Sent {
  text: string;
  values: unknown[];
}

/** A statement the platform sends for a query, taken from its repository instead of being sent. */
class CapturingDb extends Db {
  readonly sent: Sent[] = [];

  override async run<Row>(statement: Statement<Row>, values: unknown[] = []): Promise<Row[]> {
    this.sent.push({ text: statement.text, values });
    return [];
  }
}

/** What TypeORM sends, as it sends it (it runs too: these are reads). */
class CapturingLogger implements OrmLogger {
  readonly sent: Sent[] = [];
  logQuery(query: string, parameters?: unknown[]): void {
    this.sent.push({ text: query, values: parameters ?? [] });
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/** The platform's repositories, over a Db and a TypeORM connection that keep what they are asked to run. */
export class StatementCapture {
  private constructor(
    private readonly db: CapturingDb,
    private readonly logger: CapturingLogger,
    private readonly dataSource: DataSource,
  ) {}

  static async open(databaseUrl: string): Promise<StatementCapture> {
    const logger = new CapturingLogger();
    const dataSource = new DataSource({ ...dataSourceOptions({ url: databaseUrl }), logging: ['query'], logger, extra: { max: 1 } } as never);
    await dataSource.initialize();
    // Never connects: run() is overridden and nothing else is called on it.
    return new StatementCapture(new CapturingDb(new Pool({ connectionString: databaseUrl, max: 1 })), logger, dataSource);
  }

  /** The statements `call` sends through the repositories (a call may fail on the empty answers: what it sent is kept). */
  async of(call: NonNullable<AdminQuery['statements']>): Promise<Sent[]> {
    this.db.sent.length = 0;
    this.logger.sent.length = 0;
    const built: Sent[] = [];
    try {
      await call(this.repositories, (statement) => built.push(statement));
    } catch {
      /* the captured Db answers no rows */
    }
    return [...this.db.sent, ...this.logger.sent, ...built];
  }

  private get repositories(): Repositories {
    return {
      dataSource: this.dataSource,
      orders: new OrdersRepository(this.db),
      outbox: new OutboxRepository(this.db),
      payments: new PaymentRepository(this.db),
      history: new FailedMessagesHistory(this.db),
      processed: new ProcessedMessagesRepository(this.db),
      listing: new FailedMessagesListing(this.dataSource),
      deliveries: new DeliveriesRepository(this.dataSource.getRepository(Delivery), this.db),
      endpoints: new EndpointsRepository(this.db),
      merchants: new MerchantsRepository(this.db),
      audit: new AuditRepository(this.db),
      groups: new FailureGroupsRepository(this.db),
    };
  }

  async close(): Promise<void> {
    await this.dataSource.destroy();
    await this.db.end();
  }
}

interface Repositories {
  dataSource: DataSource;
  orders: OrdersRepository;
  outbox: OutboxRepository;
  payments: PaymentRepository;
  history: FailedMessagesHistory;
  processed: ProcessedMessagesRepository;
  listing: FailedMessagesListing;
  deliveries: DeliveriesRepository;
  endpoints: EndpointsRepository;
  merchants: MerchantsRepository;
  audit: AuditRepository;
  groups: FailureGroupsRepository;
}

export interface AdminQuery {
  label: string;
  path: string;
  /** What the platform's repositories send for it, for EXPLAIN (a statement they only build is handed to `built`). */
  statements?: (repositories: Repositories, built: (statement: Sent) => void) => Promise<unknown>;
  /** Answers that count as served: a detail of a row an empty database does not have is a 404. */
  accept?: number[];
}

/** Rows of the database to ask about; in an empty one, ids that find nothing. */
export interface AdminSubjects {
  failedId: string;
  failedOrderId: string;
  messageId: string;
  handler: string;
  deliveryOrderId: string;
  endpointId: string;
  merchantId: string;
  orderId: string;
}

const NOWHERE = '00000000-0000-4000-8000-000000000000';

/** The rows the queries ask about, looked up the way ops would come to them (a recent FAILED row, the busiest endpoint). */
export async function adminSubjects(db: Client, busiestOrigin: string, anyOrderId: string | undefined): Promise<AdminSubjects> {
  const [failed] = (
    await db.query<{ id: string; order_id: string; message_id: string; handler: string }>(
      `SELECT id, order_id, message_id, handler FROM failed_messages WHERE status = 'FAILED' AND order_id IS NOT NULL
        ORDER BY first_failed_at DESC, id DESC OFFSET 100 LIMIT 1`,
    )
  ).rows;
  const [delivery] = (await db.query<{ order_id: string }>(`SELECT order_id FROM deliveries WHERE order_id IS NOT NULL ORDER BY attempted_at DESC LIMIT 1`)).rows;
  const [endpoint] = (await db.query<{ id: string }>(`SELECT id FROM endpoints WHERE origin = $1`, [busiestOrigin])).rows;
  const [merchant] = (await db.query<{ id: string }>(`SELECT id FROM merchants ORDER BY id LIMIT 1`)).rows;
  return {
    failedId: failed?.id ?? NOWHERE,
    failedOrderId: failed?.order_id ?? NOWHERE,
    messageId: failed?.message_id ?? NOWHERE,
    handler: failed?.handler ?? 'stock.reserve',
    deliveryOrderId: delivery?.order_id ?? NOWHERE,
    endpointId: endpoint?.id ?? NOWHERE,
    merchantId: merchant?.id ?? 'm-0001',
    orderId: failed?.order_id ?? anyOrderId ?? NOWHERE,
  };
}

interface Page {
  nextCursor: string | null;
}

/** The cursor of page `page` (2 is the one after the first) of a listing, walked page by page; undefined when there is no such page. */
async function cursorOf(client: LoadClient, url: string, path: string, page: number, token: string): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let at = 1; at < page; at += 1) {
    const answer = await client.send('GET', `${url}${path}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, { authorization: `Bearer ${token}` });
    if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${answer.text.slice(0, 200)}`);
    const next = (JSON.parse(answer.text) as Page).nextCursor;
    if (!next) return undefined;
    cursor = next;
  }
  return cursor;
}

const decoded = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as string[];

/** OpsStats.buckets' window start for `window` in buckets of `bucket`. */
function statsSince(windowMs: number, bucketMs: number): Date {
  return new Date(Math.floor((Date.now() - windowMs) / bucketMs + 1) * bucketMs);
}

/** Every query the console makes on first paint and on each filter, pagination and detail; GET /orders/:id too. */
export async function adminQueries(client: LoadClient, url: string, token: string, subjects: AdminSubjects): Promise<AdminQuery[]> {
  const failed = (label: string, filter: FailedMessageFilter, query: string, page = 1): Promise<AdminQuery | undefined> =>
    (async () => {
      const path = `/admin/failed-messages?${query}${query ? '&' : ''}limit=25`;
      const cursor = page > 1 ? await cursorOf(client, url, path, page, token) : undefined;
      if (page > 1 && !cursor) return undefined;
      const before = cursor ? { at: decoded(cursor)[0], id: decoded(cursor)[1] } : undefined;
      return {
        label,
        path: `${path}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        // Built, not run: FailedMessagesListing.list runs exactly this.
        statements: async ({ listing }: Repositories, built: (statement: Sent) => void) => {
          const [text, values] = listing.listQuery(filter, 26, before).getQueryAndParameters();
          built({ text, values });
        },
      };
    })();
  const deliveries = async (label: string, filter: DeliveryFilter, query: string, page = 1): Promise<AdminQuery | undefined> => {
    const path = `/admin/deliveries?${query}${query ? '&' : ''}limit=50`;
    const cursor = page > 1 ? await cursorOf(client, url, path, page, token) : undefined;
    if (page > 1 && !cursor) return undefined;
    const after: DeliveryPosition | undefined = cursor ? { attemptedAt: decoded(cursor)[0], id: decoded(cursor)[1] } : undefined;
    return { label, path: `${path}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, statements: ({ deliveries: repository }) => repository.page(filter, after, 51) };
  };
  const endpointsPage2 = await cursorOf(client, url, '/admin/endpoints?limit=100', 2, token);
  const merchantsPage2 = await cursorOf(client, url, '/admin/merchants?limit=50', 2, token);
  const stats = (window: string, windowMs: number, bucket: string, bucketMs: number): AdminQuery => ({
    label: `stats ${window}, ${bucket} buckets`,
    path: `/admin/stats?window=${window}&bucket=${bucket}`,
    statements: async ({ deliveries: repository, processed, history }) => {
      const since = statsSince(windowMs, bucketMs);
      await repository.outcomeBuckets(bucketMs, since);
      await processed.processedBuckets(bucketMs, since);
      await history.failedAttemptBuckets(bucketMs, since);
    },
  });
  const all = [
    { label: 'summary (sign-in, first paint)', path: '/admin/summary', statements: async ({ history, outbox, payments }: Repositories) => {
      await history.countByStatus();
      await outbox.counts(STUCK_AFTER_ATTEMPTS);
      await payments.countIncidents();
    } },
    { label: 'outbox, oldest 500', path: '/admin/outbox', statements: ({ outbox }: Repositories) => outbox.oldest(500) },
    stats('1h', 3_600_000, '1m', 60_000),
    stats('24h', 86_400_000, '15m', 900_000),
    { label: 'health/ready (console)', path: '/health/ready' },
    await failed('failed: FAILED (first paint)', { status: 'FAILED' }, 'status=FAILED'),
    await failed('failed: FAILED, page 2', { status: 'FAILED' }, 'status=FAILED', 2),
    await failed('failed: FAILED, page 20', { status: 'FAILED' }, 'status=FAILED', 20),
    await failed('failed: any status', {}, ''),
    await failed('failed: any status, page 2', {}, '', 2),
    await failed('failed: RETRYING', { status: 'RETRYING' }, 'status=RETRYING'),
    await failed('failed: RESOLVED', { status: 'RESOLVED' }, 'status=RESOLVED'),
    await failed('failed: DISCARDED', { status: 'DISCARDED' }, 'status=DISCARDED'),
    await failed('failed: FAILED + handler', { status: 'FAILED', handler: subjects.handler }, `status=FAILED&handler=${subjects.handler}`),
    await failed('failed: handler, any status', { handler: subjects.handler }, `handler=${subjects.handler}`),
    await failed('failed: q=<order id>', { q: subjects.failedOrderId }, `q=${subjects.failedOrderId}`),
    await failed('failed: q=<message id>', { q: subjects.messageId }, `q=${subjects.messageId}`),
    await failed('failed: q=order.paid + FAILED', { q: 'order.paid', status: 'FAILED' }, 'q=order.paid&status=FAILED'),
    await failed('failed: orderId=<order id>', { orderId: subjects.failedOrderId }, `orderId=${subjects.failedOrderId}`),
    await failed('failed: q=<error text> + FAILED', { q: 'lock timeout', status: 'FAILED' }, 'q=lock%20timeout&status=FAILED'),
    await failed('failed: q=<part of an order id>', { q: subjects.failedOrderId.slice(0, 8) }, `q=${subjects.failedOrderId.slice(0, 8)}`),
    {
      label: 'failure groups (FAILED)',
      path: '/admin/failure-groups?status=FAILED',
      statements: ({ groups }: Repositories) => groups.list('FAILED', 100),
    },
    {
      label: 'failed message detail',
      path: `/admin/failed-messages/${subjects.failedId}`,
      accept: [200, 404],
      statements: async ({ listing }: Repositories) => {
        await listing.find(subjects.failedId);
        await listing.actionsOf(subjects.failedId);
      },
    },
    await deliveries('deliveries (first paint)', {}, ''),
    await deliveries('deliveries, page 2', {}, '', 2),
    await deliveries('deliveries: orderId', { orderId: subjects.deliveryOrderId }, `orderId=${subjects.deliveryOrderId}`),
    await deliveries('deliveries: busiest endpoint', { endpointId: subjects.endpointId }, `endpoint=${subjects.endpointId}`),
    await deliveries('deliveries: failed', { delivered: false }, 'delivered=false'),
    await deliveries('deliveries: endpoint + failed', { endpointId: subjects.endpointId, delivered: false }, `endpoint=${subjects.endpointId}&delivered=false`),
    { label: 'endpoints (first paint)', path: '/admin/endpoints?limit=100', statements: ({ endpoints }: Repositories) => endpoints.list(101) },
    endpointsPage2 && {
      label: 'endpoints, page 2',
      path: `/admin/endpoints?limit=100&cursor=${encodeURIComponent(endpointsPage2)}`,
      statements: ({ endpoints }: Repositories) => endpoints.list(101, Buffer.from(endpointsPage2, 'base64url').toString('utf8')),
    },
    { label: 'endpoint detail', path: `/admin/endpoints/${subjects.endpointId}`, accept: [200, 404], statements: ({ endpoints }: Repositories) => endpoints.summary(subjects.endpointId) },
    { label: 'merchants (first paint)', path: '/admin/merchants?limit=50', statements: ({ merchants }: Repositories) => merchants.list(51) },
    merchantsPage2 && {
      label: 'merchants, page 2',
      path: `/admin/merchants?limit=50&cursor=${encodeURIComponent(merchantsPage2)}`,
      statements: ({ merchants }: Repositories) => merchants.list(51, decoded(merchantsPage2)[0]),
    },
    {
      label: 'merchant detail',
      path: `/admin/merchants/${subjects.merchantId}`,
      accept: [200, 404],
      statements: async ({ merchants, audit }: Repositories) => {
        await merchants.find(subjects.merchantId);
        await audit.of('merchant', subjects.merchantId, 50);
      },
    },
    { label: 'payment incidents', path: '/admin/payment-incidents', statements: ({ payments }: Repositories) => payments.newestIncidents(500) },
    { label: 'GET /orders/:id', path: `/orders/${subjects.orderId}`, accept: [200, 404], statements: ({ orders }: Repositories) => orders.view(subjects.orderId) },
    // Its reads are several modules' (OrderTimelineService): not captured for EXPLAIN.
    { label: 'order timeline', path: `/admin/orders/${subjects.orderId}/timeline`, accept: [200, 404] },
  ];
  return all.filter((query): query is AdminQuery => Boolean(query));
}

export interface AdminFigure {
  label: string;
  path: string;
  requests: number;
  p50: number;
  p99: number;
  /** Answers other than 200, by status. */
  statuses: Record<number, number>;
}

/**
 * Each query `requests` times, one at a time (after 3 not counted), or for at most `maxMs`: p50
 * and p99 of the answer times as the console's browser would see them, on an idle platform.
 */
export async function measureAdmin(client: LoadClient, url: string, token: string, queries: AdminQuery[], requests: number, maxMs: number): Promise<AdminFigure[]> {
  const figures: AdminFigure[] = [];
  for (const query of queries) {
    const times: number[] = [];
    const statuses: Record<number, number> = {};
    const began = performance.now();
    for (let index = 0; index < requests + 3 && (index < 8 || performance.now() - began < maxMs); index += 1) {
      const started = performance.now();
      const answer = await client.send('GET', `${url}${query.path}`, undefined, { authorization: `Bearer ${token}` });
      const ms = performance.now() - started;
      if (!(query.accept ?? [200]).includes(answer.status)) throw new Error(`GET ${query.path}: ${answer.status} ${answer.text.slice(0, 300)}`);
      if (answer.status !== 200) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (index >= 3) times.push(ms);
    }
    times.sort((a, b) => a - b);
    figures.push({ label: query.label, path: query.path, requests: times.length, p50: percentile(times, 0.5), p99: percentile(times, 0.99), statuses });
  }
  return figures;
}

/** EXPLAIN (ANALYZE, BUFFERS) of each statement the platform sends for `query`, as text. */
export async function explain(capture: StatementCapture, db: Client, query: AdminQuery): Promise<string> {
  if (!query.statements) return `  (no SQL of its own to explain)`;
  const sent = await capture.of(query.statements);
  const unique = sent.filter((statement, index) => sent.findIndex((other) => other.text === statement.text && JSON.stringify(other.values) === JSON.stringify(statement.values)) === index);
  const blocks: string[] = [];
  for (const { text, values } of unique) {
    if (/^\s*(START TRANSACTION|COMMIT|ROLLBACK)/i.test(text)) continue;
    const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, values);
    blocks.push(
      [
        `  statement: ${text.replace(/\s+/g, ' ').trim()}`,
        `  values: ${JSON.stringify(values).slice(0, 300)}`,
        ...condensed(rows.map((row) => row['QUERY PLAN'])).map((line) => `    ${line}`),
      ].join('\n'),
    );
  }
  return blocks.join('\n\n');
}

/**
 * A plan without the scans that did nothing: over a table partitioned by day, a listing's plan
 * has one scan per partition, and most of them never run (a LIMIT was met first) or find no
 * row. Such a scan with nothing under it goes, with its detail lines; a line counts them.
 */
export function condensed(lines: string[]): string[] {
  const indent = (line: string) => line.length - line.trimStart().length;
  const isNode = (line: string) => line.trimStart().startsWith('->');
  const idle = (line: string) => /\(never executed\)$/.test(line) || /actual time=[\d.]+\.\.[\d.]+ rows=0 loops=\d+\)$/.test(line);
  const out: string[] = [];
  // The line standing for the run of scans left out, and how many it stands for.
  let placeholder: number | undefined;
  let skipped = 0;
  let skipUnder: number | undefined;
  const closeRun = () => {
    if (placeholder !== undefined) out[placeholder] = out[placeholder].replace('…', `… ${skipped}`);
    placeholder = undefined;
    skipped = 0;
  };
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index];
    if (skipUnder !== undefined) {
      if (!isNode(line) && indent(line) > skipUnder) continue;
      skipUnder = undefined;
    }
    if (isNode(line) && idle(line)) {
      // A leaf: the next node line (if any) is not deeper.
      const next = lines.slice(index + 1).find(isNode);
      if (next === undefined || indent(next) <= indent(line)) {
        if (placeholder === undefined) {
          placeholder = out.length;
          out.push(`${' '.repeat(indent(line))}->  … scans that never ran or found nothing, not shown`);
        }
        skipped += 1;
        skipUnder = indent(line);
        continue;
      }
    }
    closeRun();
    out.push(line);
  }
  closeRun();
  return out;
}
