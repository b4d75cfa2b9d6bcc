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

/** Rows an operator re-runs in one request: those it has re-run already ($since on) are left out, and poison. */
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

/** The FAILED rows of one failure group, but its poison. */
export interface RetryGroup {
  key: string;
  notActedOnSince: Date;
}

/** A RETRYING row whose re-run's lease has run out. */
export interface LostRerun {
  id: string;
  attempts: number;
}

// Each claim pushes `next_sweep_at` (the lease) ahead in one statement that commits on its
// own: no transaction is held while the re-runs are published, any number of processes
// claim side by side (G8), and a row whose publish failed comes due again when it runs out.
// Claimed rows come back in no particular order. Poison is re-run only when ops ask for it by
// id: every claim of many rows leaves it out (it would fail the same way).

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
                  WHERE status = $3 AND NOT poison
                    AND NOT EXISTS (SELECT 1 FROM failed_message_actions a WHERE a.failed_message_id = failed_messages.id AND a.at >= $4)
                  ORDER BY first_failed_at LIMIT $2 FOR UPDATE SKIP LOCKED)
   RETURNING id, queue, payload, message_id, routing_key, headers, attempts, first_failed_at`,
);

const matchingOfHandler = new Statement<RerunRow>(
  'compensation claim matching of handler',
  `UPDATE failed_messages SET next_sweep_at = now() + $1 * interval '1 millisecond'
    WHERE id IN (SELECT id FROM failed_messages
                  WHERE status = $3 AND handler = $5 AND NOT poison
                    AND NOT EXISTS (SELECT 1 FROM failed_message_actions a WHERE a.failed_message_id = failed_messages.id AND a.at >= $4)
                  ORDER BY first_failed_at LIMIT $2 FOR UPDATE SKIP LOCKED)
   RETURNING id, queue, payload, message_id, routing_key, headers, attempts, first_failed_at`,
);

const ofMessages = new Statement<RerunRow>(
  'compensation claim failed of messages',
  `UPDATE failed_messages SET next_sweep_at = now() + $1 * interval '1 millisecond'
    WHERE id IN (SELECT id FROM failed_messages
                  WHERE status = 'FAILED' AND handler = $3 AND message_id = ANY($4::text[]) AND first_failed_at >= $5 AND NOT poison
                    AND NOT EXISTS (SELECT 1 FROM failed_message_actions a WHERE a.failed_message_id = failed_messages.id AND a.at >= $6)
                  ORDER BY first_failed_at LIMIT $2 FOR UPDATE SKIP LOCKED)
   RETURNING id, queue, payload, message_id, routing_key, headers, attempts, first_failed_at`,
);

// In the index's order (failed_messages_groups): a group may hold many thousands of rows.
const ofGroup = new Statement<RerunRow>(
  'compensation claim failed of group',
  `UPDATE failed_messages SET next_sweep_at = now() + $1 * interval '1 millisecond'
    WHERE id IN (SELECT id FROM failed_messages
                  WHERE status = 'FAILED' AND failure_group = $3 AND NOT poison
                    AND NOT EXISTS (SELECT 1 FROM failed_message_actions a WHERE a.failed_message_id = failed_messages.id AND a.at >= $4)
                  ORDER BY last_failed_at DESC, id DESC LIMIT $2 FOR UPDATE SKIP LOCKED)
   RETURNING id, queue, payload, message_id, routing_key, headers, attempts, first_failed_at`,
);

// What the claims of many rows leave out: the poison among the rows they would take.
const poisonMatching = new Statement<{ count: number }>(
  'compensation count poison matching',
  `SELECT count(*)::int AS count FROM failed_messages WHERE poison AND status = $1`,
);

const poisonMatchingOfHandler = new Statement<{ count: number }>(
  'compensation count poison matching of handler',
  `SELECT count(*)::int AS count FROM failed_messages WHERE poison AND status = $1 AND handler = $2`,
);

const poisonOfGroup = new Statement<{ count: number }>(
  'compensation count poison of group',
  `SELECT count(*)::int AS count FROM failed_messages WHERE status = 'FAILED' AND failure_group = $1 AND poison`,
);

// A re-run that has not reported back by the end of its lease (a consumer that lost it, a
// result that went missing) would leave its row RETRYING for good. The claim holds it for
// $1 ms while the row is settled as a failed re-run.
const lostReruns = new Statement<LostRerun>(
  'compensation claim lost reruns',
  `UPDATE failed_messages SET rerun_expires_at = now() + $1 * interval '1 millisecond'
    WHERE id IN (SELECT id FROM failed_messages WHERE status = 'RETRYING' AND rerun_expires_at <= now()
                  ORDER BY rerun_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
   RETURNING id, attempts`,
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

  claimFailedOfGroup(filter: RetryGroup, leaseMs: number, limit: number): Promise<RerunRow[]> {
    return this.db.run(ofGroup, [Math.ceil(leaseMs), limit, filter.key, filter.notActedOnSince]);
  }

  /** How many poison rows `claimMatching` leaves out under this filter. */
  async countPoisonMatching(filter: Pick<RetryMatching, 'status' | 'handler'>): Promise<number> {
    const [row] = filter.handler === undefined ? await this.db.run(poisonMatching, [filter.status]) : await this.db.run(poisonMatchingOfHandler, [filter.status, filter.handler]);
    return row?.count ?? 0;
  }

  /** How many poison rows `claimFailedOfGroup` leaves out. */
  async countPoisonOfGroup(key: string): Promise<number> {
    return (await this.db.run(poisonOfGroup, [key]))[0]?.count ?? 0;
  }

  /** RETRYING rows whose re-run's lease ran out, held for `leaseMs` while they are settled. */
  claimLostReruns(leaseMs: number, limit: number): Promise<LostRerun[]> {
    return this.db.run(lostReruns, [Math.ceil(leaseMs), limit]);
  }
}
