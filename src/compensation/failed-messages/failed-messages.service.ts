import { ATTEMPT_HEADER, ERRORS_HEADER, POISON_HEADER, RERUN_HEADER } from '@backstop/transport';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { decodeCursor, encodeCursor } from '../../common/page-cursor';
import { compensationConfig } from '../../config/compensation.config';
import { Db } from '../../database/db';
import { PUBLISH_LEASE_MS } from '../../messaging/publish-lease';
import { RetryPublisher } from '../retries/retry-publisher';
import { CompensationException } from './compensation.exception';
import type { FailedMessageActionKind } from './failed-message-action.entity';
import { FailedMessageClaims, RerunRow } from './failed-message-claims.repository';
import { FailedMessageFilter, FailedMessagesListing, ListedFailedMessage } from './failed-messages-listing.repository';
import { FailedMessagesRepository } from './failed-messages.repository';
import { FailureGroupRow, FailureGroupsRepository } from './failure-groups.repository';
import { FailureRecorder } from './failure-recorder';

export { LISTED_PAYLOAD_BYTES } from './failed-messages-listing.repository';
export type { FailedMessageFilter, ListedFailedMessage } from './failed-messages-listing.repository';
export type { FailureGroupRow } from './failure-groups.repository';

const BATCH = 200;

/** What re-running many rows came to: how many were re-run, and how many poison rows it left alone. */
export interface BulkRetry {
  count: number;
  skipped: number;
}

/** Failed messages for ops and the sweeper: listing, re-running on their handler alone, discarding, by row or by failure group. */
@Injectable()
export class FailedMessagesService {
  private readonly logger = new Logger(FailedMessagesService.name);

  constructor(
    private readonly db: Db,
    private readonly failedMessages: FailedMessagesRepository,
    private readonly claims: FailedMessageClaims,
    private readonly listing: FailedMessagesListing,
    private readonly groups: FailureGroupsRepository,
    private readonly recorder: FailureRecorder,
    private readonly publisher: RetryPublisher,
    @Inject(compensationConfig.KEY) private readonly config: ConfigType<typeof compensationConfig>,
  ) {}

  async list(filter: FailedMessageFilter, limit: number, cursor?: string): Promise<{ items: ListedFailedMessage[]; nextCursor: string | null }> {
    if (filter.from && filter.to && filter.from >= filter.to) throw CompensationException.badTimeRange(filter.from, filter.to);
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

  /**
   * Re-runs every row that matches, FAILED unless told otherwise (RETRYING re-sends re-runs
   * that went missing), but poison: it would fail the same way, and is re-run by id only.
   */
  async retryMatching(filter: Pick<FailedMessageFilter, 'status' | 'handler'>, actor: string): Promise<BulkRetry> {
    const status = filter.status ?? 'FAILED';
    if (status !== 'FAILED' && status !== 'RETRYING') throw CompensationException.wrongStatus('(all)', status, 'retry');
    const count = await this.retryOnceEach(actor, (notActedOnSince) =>
      this.claims.claimMatching({ status, handler: filter.handler, notActedOnSince }, PUBLISH_LEASE_MS, BATCH),
    );
    return { count, skipped: await this.claims.countPoisonMatching({ status, handler: filter.handler }) };
  }

  /**
   * Re-runs, oldest first and once each, the FAILED rows of `handler` for these messages
   * whose first failure is at or after `firstFailedSince` (an endpoint's recovery, docs/http-api.md).
   */
  async retryMessages(handler: string, messageIds: string[], firstFailedSince: Date, actor: string): Promise<number> {
    return this.retryOnceEach(actor, async (notActedOnSince) => {
      const claimed = await this.claims.claimFailedOfMessages({ handler, messageIds, firstFailedSince, notActedOnSince }, PUBLISH_LEASE_MS, BATCH);
      return claimed.sort((a, b) => a.first_failed_at.getTime() - b.first_failed_at.getTime());
    });
  }

  /** The failure groups of rows in `status` seen last, newest first. */
  listGroups(status: 'FAILED' | 'RETRYING', limit: number): Promise<FailureGroupRow[]> {
    return this.groups.list(status, limit);
  }

  /** Re-runs the FAILED messages of a failure group, once each, as "retry all that match" does; poison is skipped and counted. */
  async retryGroup(key: string, actor: string): Promise<{ retried: number; skipped: number }> {
    if (!(await this.groups.exists(key))) throw CompensationException.groupNotFound(key);
    const retried = await this.retryOnceEach(actor, (notActedOnSince) => this.claims.claimFailedOfGroup({ key, notActedOnSince }, PUBLISH_LEASE_MS, BATCH));
    return { retried, skipped: await this.claims.countPoisonOfGroup(key) };
  }

  /** Discards the FAILED messages of a failure group, poison too, each with the operator's action. */
  async discardGroup(key: string, reason: string, actor: string): Promise<{ discarded: number }> {
    if (!(await this.groups.exists(key))) throw CompensationException.groupNotFound(key);
    let discarded = 0;
    let batch: number;
    // Until a batch finds none: a row a claim held this instant is skipped, and is being re-run.
    do {
      batch = await this.groups.discardBatch(key, reason, actor, BATCH);
      discarded += batch;
    } while (batch > 0);
    return { discarded };
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
   * RETRYING rows whose re-run has not reported back within RERUN_LEASE become FAILED again,
   * as a failed re-run; answers how many. Claimed like a sweep, so each is settled by one process.
   */
  async returnLostReruns(): Promise<number> {
    const lost = await this.claims.claimLostReruns(PUBLISH_LEASE_MS, BATCH);
    for (const row of lost) {
      this.logger.warn({ failedMessageId: row.id, attempt: row.attempts + 1 }, `the re-run of failed message ${row.id} never reported back: FAILED again`);
      await this.recorder.rerunLost(row.id, row.attempts + 1, this.config.rerunLeaseMs);
    }
    return lost.length;
  }

  /**
   * The one way many rows are re-run (all that match, an endpoint's recovery, a failure
   * group): claimed a batch at a time, each row once. A row this request has re-run already
   * is not claimed again (it may have failed again in the meantime): `claim` leaves out the
   * rows acted on since the request began, by the database's clock, the one that stamps the actions.
   */
  private async retryOnceEach(actor: string, claim: (notActedOnSince: Date) => Promise<RerunRow[]>): Promise<number> {
    const notActedOnSince = await this.failedMessages.now();
    let count = 0;
    let claimed: RerunRow[];
    do {
      claimed = await claim(notActedOnSince);
      await this.rerun(claimed, actor, 'retry');
      count += claimed.length;
    } while (claimed.length === BATCH);
    return count;
  }

  /**
   * Publishes each claimed row's message to its handler's queue alone (G5), marked as a
   * re-run, then marks the published ones RETRYING; the runner settles them, RESOLVED or
   * FAILED again. A row whose publish failed keeps its lease and is swept once it runs out.
   */
  private async rerun(rows: RerunRow[], actor: string, action: FailedMessageActionKind): Promise<void> {
    if (rows.length === 0) return;
    // The action's time: before the publish, as the re-run it asks for may settle before the action is recorded.
    const askedAt = await this.failedMessages.now();
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
    if (published.length > 0) await this.failedMessages.markRerunning(published, action, actor, this.config.rerunLeaseMs, askedAt);
    const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure) throw CompensationException.brokerUnavailable(rows.length - published.length, (failure.reason as Error).message);
  }
}

function throwBadCursor(): never {
  throw CompensationException.badCursor();
}
