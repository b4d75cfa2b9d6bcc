import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';
import { Statement } from '../../database/sql';

/** What a re-run needs of a failed message, as a claim returns it. */
export interface RerunRow {
  id: string;
  queue: string;
  payload: string;
  message_id: string;
  routing_key: string | null;
  headers: Record<string, unknown>;
  attempts: number;
  first_failed_at: Date;
}

/** Rows an operator re-runs in one request: those it has re-run already ($since on) are left out. */
export interface RetryMatching {
  status: 'FAILED' | 'RETRYING';
  handler?: string;
  notActedOnSince: Date;
}

/** The FAILED rows of one handler for these messages, first failed at or after `firstFailedSince`. */
export interface RetryMessages {
  handler: string;
  messageIds: string[];
  firstFailedSince: Date;
  notActedOnSince: Date;
}

// Each claim pushes `next_sweep_at` (the lease) ahead in one statement that commits on its
// own: no transaction is held while the re-runs are published, any number of processes
// claim side by side (G8), and a row whose publish failed comes due again when it runs out.
// Claimed rows come back in no particular order.

const forSweep = new Statement<RerunRow>(
  'compensation claim failed for sweep',
  `UPDATE failed_messages SET next_sweep_at = now() + $1 * interval '1 millisecond'
    WHERE id IN (SELECT id FROM failed_messages WHERE status = 'FAILED' AND next_sweep_at <= now()
                  ORDER BY first_failed_at LIMIT $2 FOR UPDATE SKIP LOCKED)
   RETURNING id, queue, payload, message_id, routing_key, headers, attempts, first_failed_at`,
);

const byId = new Statement<RerunRow>(
  'compensation claim failed by id',
  `UPDATE failed_messages SET next_sweep_at = now() + $1 * interval '1 millisecond'
    WHERE id IN (SELECT id FROM failed_messages WHERE id = $2 AND status = 'FAILED' FOR UPDATE SKIP LOCKED)
   RETURNING id, queue, payload, message_id, routing_key, headers, attempts, first_failed_at`,
);

const matching = new Statement<RerunRow>(
  'compensation claim matching',
  `UPDATE failed_messages SET next_sweep_at = now() + $1 * interval '1 millisecond'
    WHERE id IN (SELECT id FROM failed_messages
                  WHERE status = $3
                    AND NOT EXISTS (SELECT 1 FROM failed_message_actions a WHERE a.failed_message_id = failed_messages.id AND a.at >= $4)
                  ORDER BY first_failed_at LIMIT $2 FOR UPDATE SKIP LOCKED)
   RETURNING id, queue, payload, message_id, routing_key, headers, attempts, first_failed_at`,
);

const matchingOfHandler = new Statement<RerunRow>(
  'compensation claim matching of handler',
  `UPDATE failed_messages SET next_sweep_at = now() + $1 * interval '1 millisecond'
    WHERE id IN (SELECT id FROM failed_messages
                  WHERE status = $3 AND handler = $5
                    AND NOT EXISTS (SELECT 1 FROM failed_message_actions a WHERE a.failed_message_id = failed_messages.id AND a.at >= $4)
                  ORDER BY first_failed_at LIMIT $2 FOR UPDATE SKIP LOCKED)
   RETURNING id, queue, payload, message_id, routing_key, headers, attempts, first_failed_at`,
);

const ofMessages = new Statement<RerunRow>(
  'compensation claim failed of messages',
  `UPDATE failed_messages SET next_sweep_at = now() + $1 * interval '1 millisecond'
    WHERE id IN (SELECT id FROM failed_messages
                  WHERE status = 'FAILED' AND handler = $3 AND message_id = ANY($4::text[]) AND first_failed_at >= $5
                    AND NOT EXISTS (SELECT 1 FROM failed_message_actions a WHERE a.failed_message_id = failed_messages.id AND a.at >= $6)
                  ORDER BY first_failed_at LIMIT $2 FOR UPDATE SKIP LOCKED)
   RETURNING id, queue, payload, message_id, routing_key, headers, attempts, first_failed_at`,
);

/** The claims that take failed messages for a re-run, each held for `leaseMs`. */
@Injectable()
export class FailedMessageClaims {
  constructor(private readonly db: Db) {}

  /** The sweeper's: FAILED rows whose round has come (poison and rows past the schedule never do). */
  claimFailedForSweep(leaseMs: number, limit: number): Promise<RerunRow[]> {
    return this.db.run(forSweep, [Math.ceil(leaseMs), limit]);
  }

  /** One FAILED row, whenever its round; none while a sweeper's claim is taking it. */
  claimFailedById(id: string, leaseMs: number): Promise<RerunRow[]> {
    return this.db.run(byId, [Math.ceil(leaseMs), id]);
  }

  claimMatching(filter: RetryMatching, leaseMs: number, limit: number): Promise<RerunRow[]> {
    const values = [Math.ceil(leaseMs), limit, filter.status, filter.notActedOnSince];
    return filter.handler === undefined ? this.db.run(matching, values) : this.db.run(matchingOfHandler, [...values, filter.handler]);
  }

  claimFailedOfMessages(filter: RetryMessages, leaseMs: number, limit: number): Promise<RerunRow[]> {
    return this.db.run(ofMessages, [Math.ceil(leaseMs), limit, filter.handler, filter.messageIds, filter.firstFailedSince, filter.notActedOnSince]);
  }
}
