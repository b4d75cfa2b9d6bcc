import { ATTEMPT_HEADER, ERRORS_HEADER, POISON_HEADER, RERUN_HEADER } from '@backstop/transport';
import { PUBLISH_LEASE_MS } from '../../messaging/publish-lease';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource } from 'typeorm';
import { decodeCursor, encodeCursor } from '../../common/page-cursor';
import { Lease } from '../../database/lease';
import { CompensationException } from './compensation.exception';
import { FailedMessageAction, FailedMessageActionKind } from './failed-message-action.entity';
import { FailedMessage, FailedMessageStatus } from './failed-message.entity';
import { RetryPublisher } from '../retries/retry-publisher';

const BATCH = 200;
/** SPEC §4: in lists a payload over 4 KiB is cut; the single view has it whole. */
export const LISTED_PAYLOAD_BYTES = 4096;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface FailedMessageFilter {
  status?: FailedMessageStatus;
  handler?: string;
  /** An order id, a message id or a routing key. */
  q?: string;
  orderId?: string;
}

/** A row as lists show it: the payload is whole unless `payloadTruncated`. */
export type ListedFailedMessage = FailedMessage & { payloadTruncated: boolean };

/** Failed messages for ops and the sweeper: listing, re-running on their handler alone, discarding. */
@Injectable()
export class FailedMessagesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly publisher: RetryPublisher,
  ) {}

  async list(filter: FailedMessageFilter, limit: number, cursor?: string): Promise<{ items: ListedFailedMessage[]; nextCursor: string | null }> {
    const columns = this.dataSource
      .getMetadata(FailedMessage)
      .columns.filter((column) => column.propertyName !== 'payload')
      .map((column) => `failed.${column.propertyName}`);
    const query = this.dataSource.manager
      .createQueryBuilder(FailedMessage, 'failed')
      .select(columns)
      // Cut in the database: a 10 MB poison payload is never read whole for a list. `left`
      // counts characters, so the byte limit is applied again below, on at most 4096 characters.
      .addSelect(`left(failed.payload, ${LISTED_PAYLOAD_BYTES})`, 'listed_payload')
      .addSelect(`octet_length(failed.payload) > ${LISTED_PAYLOAD_BYTES}`, 'listed_truncated')
      .orderBy('failed.first_failed_at', 'DESC')
      .addOrderBy('failed.id', 'DESC')
      .limit(limit + 1);
    if (filter.status) query.andWhere('failed.status = :status', { status: filter.status });
    if (filter.handler) query.andWhere('failed.handler = :handler', { handler: filter.handler });
    if (filter.q) {
      const q = filter.q;
      query.andWhere(
        new Brackets((where) => {
          where.where('failed.message_id = :q', { q }).orWhere('failed.routing_key = :q', { q });
          // An order id appears in the stored envelope; only a UUID is looked for there.
          if (UUID.test(q)) where.orWhere('strpos(failed.payload, :orderId) > 0', { orderId: q.toLowerCase() });
        }),
      );
    }
    // An order id appears in the stored envelope (as `orderId`, or as `id` in order.created).
    if (filter.orderId) query.andWhere('strpos(failed.payload, :orderId) > 0', { orderId: filter.orderId.toLowerCase() });
    if (cursor) {
      const [at, id] = decodeCursor(cursor, /^[0-9a-f-]{36}$/) ?? throwBadCursor();
      query.andWhere(
        new Brackets((where) =>
          where.where('failed.first_failed_at < :at', { at }).orWhere('failed.first_failed_at = :at AND failed.id < :id', { at, id }),
        ),
      );
    }
    const { entities, raw } = await query.getRawAndEntities<{ listed_payload: string; listed_truncated: boolean }>();
    const rows: ListedFailedMessage[] = entities.map((row, index) => {
      const truncated = raw[index].listed_truncated;
      const payload = truncated ? cutToBytes(raw[index].listed_payload, LISTED_PAYLOAD_BYTES) : raw[index].listed_payload;
      return Object.assign(row, { payload, payloadTruncated: truncated });
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { items: page, nextCursor: rows.length > limit && last ? encodeCursor(last.firstFailedAt, last.id) : null };
  }

  async get(id: string) {
    const row = await this.dataSource.manager.findOneBy(FailedMessage, { id });
    if (!row) throw CompensationException.notFound(id);
    const actions = await this.dataSource.manager.find(FailedMessageAction, { where: { failedMessageId: id }, order: { at: 'ASC', id: 'ASC' } });
    return { row, actions };
  }

  /** Re-runs one FAILED row now. */
  async retryOne(id: string, actor: string): Promise<void> {
    const rows = await failedRows.claim(this.dataSource, PUBLISH_LEASE_MS, 1, 'FAILED', null, id, null, false, null, null);
    if (rows.length === 0) {
      const row = await this.dataSource.manager.findOne(FailedMessage, { where: { id }, select: { id: true, status: true } });
      if (!row) throw CompensationException.notFound(id);
      // FAILED but not claimable: a sweeper holds it right now and is re-running it.
      throw CompensationException.wrongStatus(id, row.status === 'FAILED' ? 'RETRYING' : row.status, 'retry');
    }
    await this.rerun(rows, actor, 'retry');
  }

  /** Re-runs every row that matches, FAILED unless told otherwise (RETRYING re-sends re-runs that went missing). */
  async retryMatching(filter: FailedMessageFilter, actor: string): Promise<number> {
    const status = filter.status ?? 'FAILED';
    if (status !== 'FAILED' && status !== 'RETRYING') throw CompensationException.wrongStatus('(all)', status, 'retry');
    let count = 0;
    let claimed: RerunRow[];
    // The database's clock, the one that stamps the actions below: the app's may differ.
    const [{ since }]: { since: Date }[] = await this.dataSource.query('SELECT clock_timestamp() AS since');
    do {
      claimed = await failedRows.claim(this.dataSource, PUBLISH_LEASE_MS, BATCH, status, filter.handler ?? null, null, since, false, null, null);
      await this.rerun(claimed, actor, 'retry');
      count += claimed.length;
    } while (claimed.length === BATCH);
    return count;
  }

  /**
   * Re-runs, oldest first and once each, the FAILED rows of `handler` for these messages
   * whose first failure is at or after `firstFailedSince` (an endpoint's recovery, SPEC §4).
   */
  async retryMessages(handler: string, messageIds: string[], firstFailedSince: Date, actor: string): Promise<number> {
    let count = 0;
    let claimed: RerunRow[];
    const [{ since }]: { since: Date }[] = await this.dataSource.query('SELECT clock_timestamp() AS since');
    do {
      claimed = await failedRows.claim(this.dataSource, PUBLISH_LEASE_MS, BATCH, 'FAILED', handler, null, since, false, messageIds, firstFailedSince);
      claimed.sort((a, b) => a.first_failed_at.getTime() - b.first_failed_at.getTime());
      await this.rerun(claimed, actor, 'retry');
      count += claimed.length;
    } while (claimed.length === BATCH);
    return count;
  }

  async discard(id: string, reason: string, actor: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const row = await manager.findOne(FailedMessage, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!row) throw CompensationException.notFound(id);
      if (row.status === 'RESOLVED' || row.status === 'DISCARDED') throw CompensationException.wrongStatus(id, row.status, 'discard');
      await manager.update(FailedMessage, { id }, { status: 'DISCARDED', discardReason: reason, nextSweepAt: null, resolvedAt: () => 'now()' });
      await manager.insert(FailedMessageAction, { failedMessageId: id, action: 'discard', actor, reason });
    });
  }

  /** One sweeper round: any number of processes sweep at once, and each due row is re-run by one of them (G8). */
  async sweepDue(): Promise<number> {
    const rows = await failedRows.claim(this.dataSource, PUBLISH_LEASE_MS, BATCH, 'FAILED', null, null, null, true, null, null);
    await this.rerun(rows, 'sweeper', 'sweep');
    return rows.length;
  }

  /**
   * Publishes each claimed row's message to its handler's queue alone (G5), marked as a
   * re-run, then marks the published ones RETRYING; the runner settles them, RESOLVED or
   * FAILED again. A row whose publish failed keeps its lease and is swept once it runs out.
   */
  private async rerun(rows: RerunRow[], actor: string, action: FailedMessageActionKind): Promise<void> {
    if (rows.length === 0) return;
    const outcomes = await Promise.allSettled(
      rows.map((row) => {
        const { [ATTEMPT_HEADER]: _a, [ERRORS_HEADER]: _e, [RERUN_HEADER]: _r, [POISON_HEADER]: _p, ...headers } = row.headers;
        return this.publisher.toQueue(
          row.queue,
          Buffer.from(row.payload, 'utf8'),
          { messageId: row.message_id, type: row.routing_key ?? undefined, contentType: 'application/json' },
          { ...headers, [RERUN_HEADER]: row.id, [ATTEMPT_HEADER]: row.attempts + 1 },
        );
      }),
    );
    const published = rows.filter((_, index) => outcomes[index].status === 'fulfilled');
    if (published.length > 0) {
      // A re-run may have settled already (a service answers over the broker, a handler here
      // in-process): a row it RESOLVED stays so, and so does one whose attempt count its
      // failure has moved on. The action is recorded either way.
      await this.dataSource.query(
        `WITH marked AS (UPDATE failed_messages f SET status = 'RETRYING', next_sweep_at = NULL
                           FROM unnest($1::uuid[], $4::int[]) AS claimed (id, attempts)
                          WHERE f.id = claimed.id AND f.attempts = claimed.attempts AND f.status IN ('FAILED', 'RETRYING'))
         INSERT INTO failed_message_actions (failed_message_id, action, actor) SELECT id, $2, $3 FROM unnest($1::uuid[]) AS id`,
        [published.map((row) => row.id), action, actor, published.map((row) => row.attempts)],
      );
    }
    const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure) throw CompensationException.brokerUnavailable(rows.length - published.length, (failure.reason as Error).message);
  }
}

/** What a re-run needs of a failed message, as the claim returns it. */
interface RerunRow {
  id: string;
  queue: string;
  payload: string;
  message_id: string;
  routing_key: string | null;
  headers: Record<string, unknown>;
  attempts: number;
  first_failed_at: Date;
}

/**
 * Failed messages to re-run: by status ($3), optionally one handler ($4) or one row ($5),
 * leaving out rows this request already re-ran ($6) and, for the sweeper ($7), rows whose
 * round has not come; optionally only these messages ($8) first failed since $9.
 */
const failedRows = new Lease<RerunRow>({
  name: 'failed messages',
  table: 'failed_messages',
  key: 'id',
  leaseColumn: 'next_sweep_at',
  due: `status = $3 AND ($4::text IS NULL OR handler = $4) AND ($5::uuid IS NULL OR id = $5)
        AND ($6::timestamptz IS NULL OR NOT EXISTS (SELECT 1 FROM failed_message_actions a WHERE a.failed_message_id = failed_messages.id AND a.at >= $6))
        AND ($7::boolean IS NOT TRUE OR next_sweep_at <= now())
        AND ($8::text[] IS NULL OR message_id = ANY($8)) AND ($9::timestamptz IS NULL OR first_failed_at >= $9)`,
  orderBy: 'first_failed_at',
  returning: 'id, queue, payload, message_id, routing_key, headers, attempts, first_failed_at',
});

/** The longest prefix of `text` that is at most `bytes` long in UTF-8, never splitting a character. */
function cutToBytes(text: string, bytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= bytes) return text;
  let end = 0;
  let size = 0;
  for (const character of text) {
    size += Buffer.byteLength(character, 'utf8');
    if (size > bytes) break;
    end += character.length;
  }
  return text.slice(0, end);
}

function throwBadCursor(): never {
  throw CompensationException.badCursor();
}
