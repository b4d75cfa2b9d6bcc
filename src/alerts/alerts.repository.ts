import { Injectable } from '@nestjs/common';
import { Db, Queryable } from '../database/db';
import { Statement } from '../database/sql';
import type { ConditionKind, OpenCondition, RecentGroup } from './conditions';

/** An alert just inserted: raised now, to be sent. */
export interface RaisedAlert {
  id: string;
  raised_at: Date;
}

/** A one-off change ($1 id, $2 kind, $3 subject, $4 episode, $5 details): nothing when the same change was raised before. */
const raiseChange = new Statement<RaisedAlert>(
  'alerts raise change',
  `INSERT INTO ops_alerts (id, kind, subject, episode, details) VALUES ($1, $2, $3, $4, $5)
   ON CONFLICT DO NOTHING RETURNING id, raised_at`,
);
/** A condition beginning, named by the time it began: nothing while one of its kind and subject is open. */
const beginCondition = new Statement<RaisedAlert>(
  'alerts begin condition',
  `INSERT INTO ops_alerts (id, kind, subject, episode, details, open)
   VALUES ($1, $2, $3, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), $4, true)
   ON CONFLICT DO NOTHING RETURNING id, raised_at`,
);
const endConditions = new Statement('alerts end conditions', `UPDATE ops_alerts SET open = false, ended_at = now() WHERE open AND id = ANY($1::uuid[])`);
/** Along the partial index `ops_alerts_open`: as many rows as conditions under way. */
const openConditions = new Statement<OpenCondition>(
  'alerts open conditions',
  `SELECT id, kind, subject, episode, raised_at AS "raisedAt" FROM ops_alerts WHERE open`,
);
/** One process checks at a time: what it reads and what it decides from it are not raced by another's. */
const checkLock = new Statement<{ locked: boolean }>('alerts check lock', `SELECT pg_try_advisory_xact_lock(hashtext('backstop.alerts.check')) AS locked`);

/** A message a handler gave up on, counted once however often it fails within the window. */
const noteFailure = new Statement(
  'alerts note failure',
  `INSERT INTO ops_alert_failures (handler, message_id, failure_group, fingerprint, endpoint, error) VALUES ($1, $2, $3, $4, $5, $6)
   ON CONFLICT (handler, message_id) DO UPDATE
      SET failure_group = excluded.failure_group, fingerprint = excluded.fingerprint, endpoint = excluded.endpoint,
          error = excluded.error, failed_at = now()`,
);
/**
 * The failures of the last $1 ms by group (a range of `ops_alert_failures_failed_at`), each
 * group's latest found again by its time along the same index.
 */
const recentGroups = new Statement<RecentGroup>(
  'alerts recent failure groups',
  `WITH recent AS (
     SELECT failure_group, count(*)::int AS failures, min(failed_at) AS first_failed_at, max(failed_at) AS last_failed_at
       FROM ops_alert_failures WHERE failed_at > now() - $1 * interval '1 millisecond'
      GROUP BY failure_group)
   SELECT r.failure_group AS "failureGroup", r.failures, r.first_failed_at AS "firstFailedAt", r.last_failed_at AS "lastFailedAt",
          latest.handler, latest.fingerprint, latest.endpoint, latest.message_id AS "messageId", latest.error
     FROM recent r CROSS JOIN LATERAL (
       SELECT handler, fingerprint, endpoint, message_id, error FROM ops_alert_failures f
        WHERE f.failed_at = r.last_failed_at AND f.failure_group = r.failure_group LIMIT 1) latest`,
);
/**
 * Failures older than the window ($1 ms) count no more: up to $2 of them go, oldest first along
 * `ops_alert_failures_failed_at`, deleted by their row address (locked, so it cannot move): a
 * join on the two-column key is planned as a scan of the whole table once the batch is large.
 */
const pruneFailures = new Statement(
  'alerts prune failures',
  `DELETE FROM ops_alert_failures
    WHERE ctid = ANY (ARRAY (SELECT ctid FROM ops_alert_failures WHERE failed_at <= now() - $1 * interval '1 millisecond'
                              ORDER BY failed_at LIMIT $2 FOR UPDATE SKIP LOCKED))
   RETURNING 1`,
);

/**
 * The lease of one attempt to send alert $1 ($2 ms), never beside a live one: the attempt's
 * number, or why not (delivered already; null when there is no such alert).
 */
const claimSend = new Statement<{ attempt: number | null; delivered: boolean | null }>(
  'alerts claim send',
  `WITH claimed AS (
     UPDATE ops_alerts SET lease_until = now() + $2 * interval '1 millisecond'
      WHERE id = $1 AND delivered_at IS NULL AND (lease_until IS NULL OR lease_until < now())
      RETURNING attempts + 1 AS attempt)
   SELECT (SELECT attempt FROM claimed) AS attempt, (SELECT delivered_at IS NOT NULL FROM ops_alerts WHERE id = $1) AS delivered`,
);
const recordSend = new Statement(
  'alerts record send',
  `UPDATE ops_alerts SET lease_until = NULL, attempts = attempts + 1, delivered_at = CASE WHEN $2 THEN coalesce(delivered_at, now()) ELSE delivered_at END
    WHERE id = $1`,
);

/** Sent, and not a condition under way: kept for HISTORY_RETENTION. One never delivered stays, as a FAILED message does. */
const pruneSent = new Statement(
  'alerts prune sent',
  `DELETE FROM ops_alerts
    WHERE id IN (SELECT id FROM ops_alerts WHERE raised_at < now() - $1 * interval '1 millisecond' AND NOT open AND delivered_at IS NOT NULL
                  ORDER BY raised_at LIMIT $2 FOR UPDATE SKIP LOCKED)
   RETURNING 1`,
);

/** The alerts module's tables: alerts raised (`ops_alerts`) and the recent failures spikes are counted from (`ops_alert_failures`). */
@Injectable()
export class AlertsRepository {
  constructor(private readonly db: Db) {}

  async raiseChange(database: Queryable, alert: { id: string; kind: string; subject: string; episode: string; details: object }): Promise<RaisedAlert | undefined> {
    return (await database.run(raiseChange, [alert.id, alert.kind, alert.subject, alert.episode, alert.details]))[0];
  }

  async beginCondition(database: Queryable, alert: { id: string; kind: ConditionKind; subject: string; details: object }): Promise<RaisedAlert | undefined> {
    return (await database.run(beginCondition, [alert.id, alert.kind, alert.subject, alert.details]))[0];
  }

  async endConditions(database: Queryable, ids: string[]): Promise<void> {
    if (ids.length > 0) await database.run(endConditions, [ids]);
  }

  openConditions(database: Queryable): Promise<OpenCondition[]> {
    return database.run(openConditions);
  }

  /** Whether this transaction is the one checking now; false: another process is, this round is skipped. */
  async lockCheck(database: Queryable): Promise<boolean> {
    return (await database.run(checkLock))[0].locked;
  }

  async noteFailure(failure: { handler: string; messageId: string; failureGroup: string; fingerprint: string; endpoint: string | null; error: string }): Promise<void> {
    await this.db.run(noteFailure, [failure.handler, failure.messageId, failure.failureGroup, failure.fingerprint, failure.endpoint, failure.error]);
  }

  recentGroups(database: Queryable, windowMs: number): Promise<RecentGroup[]> {
    return database.run(recentGroups, [windowMs]);
  }

  /** Up to `limit` failures older than `olderThanMs`; answers how many went. */
  async pruneFailures(database: Queryable, olderThanMs: number, limit: number): Promise<number> {
    return (await database.run(pruneFailures, [olderThanMs, limit])).length;
  }

  /** As `pruneFailures`, on its own (retention). */
  pruneOldFailures(olderThanMs: number, limit: number): Promise<number> {
    return this.pruneFailures(this.db, olderThanMs, limit);
  }

  /** The attempt's number (1 for the first) when it is this attempt's to send; else 'delivered' (it was), 'leased' (another attempt holds it) or 'missing' (no such alert). */
  async claimSend(id: string, leaseMs: number): Promise<number | 'delivered' | 'leased' | 'missing'> {
    const [{ attempt, delivered }] = await this.db.run(claimSend, [id, Math.ceil(leaseMs)]);
    if (attempt !== null) return attempt;
    if (delivered === null) return 'missing';
    return delivered ? 'delivered' : 'leased';
  }

  async recordSend(id: string, delivered: boolean): Promise<void> {
    await this.db.run(recordSend, [id, delivered]);
  }

  async pruneSent(olderThanMs: number, limit: number): Promise<number> {
    return (await this.db.run(pruneSent, [olderThanMs, limit])).length;
  }
}
