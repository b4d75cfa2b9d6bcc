import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';
import { Statement } from '../../database/sql';

/** One failure group as listed: its messages of one status. */
export interface FailureGroupRow {
  key: string;
  handler: string;
  fingerprint: string;
  endpoint: string | null;
  count: number;
  first_seen: Date;
  last_seen: Date;
  samples: string[];
}

// Counted from failed_messages_groups alone (status, key, …: an index-only scan, already in key
// order for the grouping); then, for the page of groups only, its newest rows but poison first
// left for last, whose first gives the group's handler, fingerprint and endpoint.
const list = new Statement<FailureGroupRow>(
  'compensation list failure groups',
  `WITH grouped AS (
     SELECT failure_group, count(*)::int AS count, min(first_failed_at) AS first_seen, max(last_failed_at) AS last_seen
       FROM failed_messages WHERE status = $1 AND failure_group IS NOT NULL
      GROUP BY failure_group ORDER BY last_seen DESC, failure_group LIMIT $2)
   SELECT g.failure_group AS key, g.count, g.first_seen, g.last_seen, latest.handler, latest.fingerprint, latest.endpoint, latest.samples
     FROM grouped g CROSS JOIN LATERAL (
       SELECT (array_agg(handler))[1] AS handler, (array_agg(fingerprint))[1] AS fingerprint, (array_agg(endpoint))[1] AS endpoint,
              array_agg(id) AS samples
         FROM (SELECT id, handler, fingerprint, endpoint FROM failed_messages f
                WHERE f.status = $1 AND f.failure_group = g.failure_group
                ORDER BY f.poison, f.last_failed_at DESC, f.id DESC LIMIT 3) AS newest) AS latest
    ORDER BY g.last_seen DESC, g.failure_group`,
);

// Whatever its rows' status: a group whose messages were all re-run or discarded still exists.
// In the index's own order, so that its first entry answers: a big group would otherwise look
// cheaper to find by reading the table until a row turns up, and a missing one reads it all.
const exists = new Statement<{ found: number }>(
  'compensation failure group exists',
  `SELECT 1 AS found FROM failed_messages WHERE status IN ('DISCARDED', 'FAILED', 'RESOLVED', 'RETRYING') AND failure_group = $1
    ORDER BY status, failure_group, poison, last_failed_at DESC, id DESC LIMIT 1`,
);

// A batch of the group's FAILED rows, with the operator's action on each. Rows a claim holds
// this instant are skipped: they are being re-run.
const discardBatch = new Statement<{ id: string }>(
  'compensation discard failure group batch',
  `WITH discarded AS (
     UPDATE failed_messages SET status = 'DISCARDED', discard_reason = $2, next_sweep_at = NULL, rerun_expires_at = NULL, resolved_at = now()
      WHERE id IN (SELECT id FROM failed_messages WHERE status = 'FAILED' AND failure_group = $1
                    ORDER BY poison, last_failed_at DESC, id DESC LIMIT $4 FOR UPDATE SKIP LOCKED)
     RETURNING id)
   INSERT INTO failed_message_actions (failed_message_id, action, actor, reason) SELECT id, 'discard', $3, $2 FROM discarded RETURNING failed_message_id AS id`,
);

/** Failure groups (failure-group.ts): listed from their index, and discarded a batch at a time. */
@Injectable()
export class FailureGroupsRepository {
  constructor(private readonly db: Db) {}

  /** The `limit` groups of rows in `status` seen last, newest first. */
  list(status: 'FAILED' | 'RETRYING', limit: number): Promise<FailureGroupRow[]> {
    return this.db.run(list, [status, limit]);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.db.run(exists, [key])).length > 0;
  }

  /** Discards up to `limit` FAILED rows of the group, each with its action; answers how many. */
  async discardBatch(key: string, reason: string, actor: string, limit: number): Promise<number> {
    return (await this.db.run(discardBatch, [key, reason, actor, limit])).length;
  }
}
