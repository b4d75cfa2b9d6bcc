import { ATTEMPT_HEADER, ERRORS_HEADER, POISON_HEADER, RERUN_HEADER } from '@backstop/transport';
import { Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor } from '../../common/page-cursor';
import { Db } from '../../database/db';
import { PUBLISH_LEASE_MS } from '../../messaging/publish-lease';
import { RetryPublisher } from '../retries/retry-publisher';
import { CompensationException } from './compensation.exception';
import type { FailedMessageActionKind } from './failed-message-action.entity';
import { FailedMessageClaims, RerunRow } from './failed-message-claims.repository';
import { FailedMessageFilter, FailedMessagesListing, ListedFailedMessage } from './failed-messages-listing.repository';
import { FailedMessagesRepository } from './failed-messages.repository';

export { LISTED_PAYLOAD_BYTES } from './failed-messages-listing.repository';
export type { FailedMessageFilter, ListedFailedMessage } from './failed-messages-listing.repository';

const BATCH = 200;

/** Failed messages for ops and the sweeper: listing, re-running on their handler alone, discarding. */
@Injectable()
export class FailedMessagesService {
  constructor(
    private readonly db: Db,
    private readonly failedMessages: FailedMessagesRepository,
    private readonly claims: FailedMessageClaims,
    private readonly listing: FailedMessagesListing,
    private readonly publisher: RetryPublisher,
  ) {}

  async list(filter: FailedMessageFilter, limit: number, cursor?: string): Promise<{ items: ListedFailedMessage[]; nextCursor: string | null }> {
    const before = cursor ? (decodeCursor(cursor, /^[0-9a-f-]{36}$/) ?? throwBadCursor()) : undefined;
    const rows = await this.listing.list(filter, limit + 1, before && { at: before[0], id: before[1] });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { items: page, nextCursor: rows.length > limit && last ? encodeCursor(last.firstFailedAt, last.id) : null };
  }

  async get(id: string) {
    const row = await this.listing.find(id);
    if (!row) throw CompensationException.notFound(id);
    return { row, actions: await this.listing.actionsOf(id) };
  }

  /** Re-runs one FAILED row now. */
  async retryOne(id: string, actor: string): Promise<void> {
    const rows = await this.claims.claimFailedById(id, PUBLISH_LEASE_MS);
    if (rows.length === 0) {
      const status = await this.failedMessages.statusOf(id);
      if (!status) throw CompensationException.notFound(id);
      // FAILED but not claimable: a sweeper holds it right now and is re-running it.
      throw CompensationException.wrongStatus(id, status === 'FAILED' ? 'RETRYING' : status, 'retry');
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
    const notActedOnSince = await this.failedMessages.now();
    do {
      claimed = await this.claims.claimMatching({ status, handler: filter.handler, notActedOnSince }, PUBLISH_LEASE_MS, BATCH);
      await this.rerun(claimed, actor, 'retry');
      count += claimed.length;
    } while (claimed.length === BATCH);
    return count;
  }

  /**
   * Re-runs, oldest first and once each, the FAILED rows of `handler` for these messages
   * whose first failure is at or after `firstFailedSince` (an endpoint's recovery, docs/http-api.md).
   */
  async retryMessages(handler: string, messageIds: string[], firstFailedSince: Date, actor: string): Promise<number> {
    let count = 0;
    let claimed: RerunRow[];
    const notActedOnSince = await this.failedMessages.now();
    do {
      claimed = await this.claims.claimFailedOfMessages({ handler, messageIds, firstFailedSince, notActedOnSince }, PUBLISH_LEASE_MS, BATCH);
      claimed.sort((a, b) => a.first_failed_at.getTime() - b.first_failed_at.getTime());
      await this.rerun(claimed, actor, 'retry');
      count += claimed.length;
    } while (claimed.length === BATCH);
    return count;
  }

  async discard(id: string, reason: string, actor: string): Promise<void> {
    await this.db.transaction(async (transaction) => {
      const status = await this.failedMessages.lockForDiscard(id, transaction);
      if (!status) throw CompensationException.notFound(id);
      if (status === 'RESOLVED' || status === 'DISCARDED') throw CompensationException.wrongStatus(id, status, 'discard');
      await this.failedMessages.discard(id, reason, actor, transaction);
    });
  }

  /** One sweeper round: any number of processes sweep at once, and each due row is re-run by one of them (G8). */
  async sweepDue(): Promise<number> {
    const rows = await this.claims.claimFailedForSweep(PUBLISH_LEASE_MS, BATCH);
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
    if (published.length > 0) await this.failedMessages.markRerunning(published, action, actor);
    const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure) throw CompensationException.brokerUnavailable(rows.length - published.length, (failure.reason as Error).message);
  }
}

function throwBadCursor(): never {
  throw CompensationException.badCursor();
}
