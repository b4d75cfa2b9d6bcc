import type { EventEnvelope } from '@backstop/transport';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Db, Queryable } from '../database/db';
import { Bound, Statement } from '../database/sql';

/**
 * Whether the outbox changed by more rows than it held when last analyzed (or was never
 * analyzed): its statistics then predate what it holds, as after a broker outage that
 * autovacuum's analyze has not caught up with.
 */
const statisticsStale = new Statement<{ stale: boolean }>(
  'outbox statistics stale',
  `SELECT s.n_mod_since_analyze > greatest(c.reltuples, 0) + 1000 AS stale
     FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relid = 'outbox'::regclass`,
);

/** Where a relay round's previous claim ended: its last row. */
export interface ClaimPosition {
  createdAt: Date;
  id: string;
}

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export interface ReadyRow {
  id: string;
  envelope: EventEnvelope;
  attempts: number;
  created_at: Date;
}

export interface PreparedRow {
  id: string;
  kind: string;
  check_back_id: string;
  attempts: number;
}

export interface OutboxCounts {
  ready: number;
  prepare: number;
  stuck: number;
  oldestAgeSeconds: number | null;
}

/** The event waiting longest to be published, and for how long by the database's clock. */
export interface OldestReady {
  id: string;
  routingKey: string;
  createdAt: Date;
  ageSeconds: number;
}

/** An outbox row as ops see it (GET /admin/outbox). */
export interface OutboxRow {
  id: string;
  state: 'PREPARE' | 'READY';
  routingKey: string | null;
  envelope: EventEnvelope | null;
  kind: string | null;
  checkBackId: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  nextAttemptAt: Date;
}

/** READY rows for envelopes ($1: [{id, type, envelope}] as JSON), each kept for its writer $2 ms. */
const insertReady = new Statement(
  'outbox insert READY',
  `INSERT INTO outbox (id, state, routing_key, envelope, next_attempt_at)
   SELECT e.id, 'READY', e.type, e.envelope, now() + $2 * interval '1 millisecond'
     FROM jsonb_to_recordset($1::jsonb) AS e (id uuid, type text, envelope jsonb)`,
);
const turnReady = new Statement<{ id: string }>(
  'outbox PREPARE to READY',
  `UPDATE outbox SET state = 'READY', routing_key = $2, envelope = $3, attempts = 0, next_attempt_at = now() + $4 * interval '1 millisecond'
    WHERE id = $1 AND state = 'PREPARE' RETURNING id`,
);
const deletePublished = new Statement('outbox delete published', `DELETE FROM outbox WHERE id = ANY($1::uuid[]) AND state = 'READY'`);
const dropPrepared = new Statement('outbox drop PREPARE', `DELETE FROM outbox WHERE id = $1::uuid AND state = 'PREPARE'`);
const insertPrepared = new Statement<{ id: string }>(
  'outbox insert PREPARE',
  `INSERT INTO outbox (id, state, kind, check_back_id) VALUES ($1, 'PREPARE', $2, $3)
   ON CONFLICT (kind, check_back_id) WHERE state = 'PREPARE' DO NOTHING RETURNING id`,
);
const openPrepared = new Statement<{ id: string }>('outbox open PREPARE', `SELECT id FROM outbox WHERE state = 'PREPARE' AND kind = $1 AND check_back_id = $2`);

/**
 * Claims: up to $2 due rows, leased for $1 ms in the same statement, which commits on its own
 * (claim, commit, work, record: see docs/architecture.md). SKIP LOCKED lets any number of
 * processes claim side by side. The rows are picked once, in a materialised step: written as
 * `WHERE id IN (subquery)`, a plan made while the table looked empty (a backlog that grew
 * faster than statistics) re-ran the subquery for every row of the table. Oldest first, along
 * `outbox_created_at` from where the round's previous claim ended, so a claim reads what it takes and stops.
 */
const claimDueReady = new Statement<ReadyRow>(
  'outbox claim due READY',
  `WITH due AS MATERIALIZED (
     SELECT id FROM outbox WHERE state = 'READY' AND next_attempt_at <= now() AND (created_at, id) > ($3::timestamptz, $4::uuid)
      ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
   UPDATE outbox SET next_attempt_at = now() + $1 * interval '1 millisecond'
     FROM due WHERE outbox.id = due.id
   RETURNING outbox.id, outbox.envelope, outbox.attempts, outbox.created_at`,
);
/** PREPARE rows of kind $3 older than $4 ms and due for a check-back; each claim counts as an attempt. */
const claimDuePrepared = new Statement<PreparedRow>(
  'outbox claim due PREPARE',
  `WITH due AS MATERIALIZED (
     SELECT id FROM outbox WHERE state = 'PREPARE' AND kind = $3 AND created_at <= now() - $4 * interval '1 millisecond' AND next_attempt_at <= now()
      ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
   UPDATE outbox SET next_attempt_at = now() + $1 * interval '1 millisecond', attempts = outbox.attempts + 1
     FROM due WHERE outbox.id = due.id
   RETURNING outbox.id, outbox.kind, outbox.check_back_id, outbox.attempts`,
);
const postpone = new Statement(
  'outbox postpone',
  `UPDATE outbox SET attempts = coalesce($2, attempts), last_error = coalesce($3, last_error), next_attempt_at = now() + $4 * interval '1 millisecond'
    WHERE id = $1`,
);
const counts = new Statement<OutboxCounts>(
  'outbox counts',
  // Each figure from an index (outbox_state_attempts, outbox_created_at): after an outage the outbox holds 100k rows.
  `SELECT (SELECT count(*) FROM outbox WHERE state = 'READY')::int AS ready,
          (SELECT count(*) FROM outbox WHERE state = 'PREPARE')::int AS prepare,
          (SELECT count(*) FROM outbox WHERE state = 'PREPARE' AND attempts >= $1)::int AS stuck,
          EXTRACT(EPOCH FROM now() - (SELECT min(created_at) FROM outbox))::float AS "oldestAgeSeconds"`,
);
/** The oldest event not published yet (PREPARE rows are outside work, not events): the first READY row along `outbox_created_at`. */
const oldestReady = new Statement<OldestReady>(
  'outbox oldest READY',
  `SELECT id, routing_key AS "routingKey", created_at AS "createdAt", EXTRACT(EPOCH FROM now() - created_at)::float AS "ageSeconds"
     FROM outbox WHERE state = 'READY' ORDER BY created_at, id LIMIT 1`,
);
const oldest = new Statement<OutboxRow>(
  'outbox oldest',
  `SELECT id, state, routing_key AS "routingKey", envelope, kind, check_back_id AS "checkBackId", attempts, last_error AS "lastError",
          created_at AS "createdAt", next_attempt_at AS "nextAttemptAt"
     FROM outbox ORDER BY created_at, id LIMIT $1`,
);

/** The coordinator's table: events not published yet (READY) and outside work under way (PREPARE). */
@Injectable()
export class OutboxRepository {
  constructor(private readonly db: Db) {}

  /** For a transaction's commit: READY rows for `envelopes`, kept for their writer `writerLeaseMs`. */
  insertReady(envelopes: EventEnvelope[], writerLeaseMs: number): Bound {
    const rows = envelopes.map((envelope) => ({ id: envelope.id, type: envelope.type, envelope }));
    return insertReady.bind([JSON.stringify(rows), Math.trunc(writerLeaseMs)]);
  }

  /** Settles a PREPARE row into the READY row of `envelope`; false when it is not open any more. */
  async turnReady(preparedId: string, envelope: EventEnvelope, writerLeaseMs: number, database: Queryable): Promise<boolean> {
    return (await database.run(turnReady, [preparedId, envelope.type, envelope, writerLeaseMs])).length > 0;
  }

  async deletePublished(ids: string[]): Promise<void> {
    await this.db.run(deletePublished, [ids]);
  }

  /** For a transaction's commit: the PREPARE row it settled without an event. */
  dropPreparedAtCommit(preparedId: string): Bound {
    return dropPrepared.bind([preparedId]);
  }

  async dropPrepared(preparedId: string): Promise<void> {
    await this.db.run(dropPrepared, [preparedId]);
  }

  /** The open PREPARE row of (kind, id), made if there is none. */
  async prepare(kind: string, checkBackId: string): Promise<string> {
    const [inserted] = await this.db.run(insertPrepared, [randomUUID(), kind, checkBackId]);
    if (inserted) return inserted.id;
    const [open] = await this.db.run(openPrepared, [kind, checkBackId]);
    // Settled between the two statements: a new one is due.
    return open?.id ?? this.prepare(kind, checkBackId);
  }

  /**
   * Analyzes the outbox when its statistics predate most of its rows. With statistics from
   * before a backlog, the planner expects a few due rows and reads them all through a bitmap
   * and sorts them, rather than walking `outbox_created_at` to its batch: 40–60 ms and a sort
   * on disk for each claim of 200 out of 50,000, instead of 10. ANALYZE samples the table, takes
   * no lock a writer waits for, and does nothing (but warn) when this role does not own it.
   */
  async analyzeIfStale(): Promise<boolean> {
    const [row] = await this.db.run(statisticsStale);
    if (!row?.stale) return false;
    await this.db.execute('ANALYZE outbox');
    return true;
  }

  /**
   * Claims due rows after `after`, the last row a previous claim of the same relay round
   * took: the scan starts there instead of walking again past every row claimed and
   * published so far, whose index entries stay until their deletes and vacuum catch up
   * (a 50,000-row backlog was claimed at 27 ms a batch, most of it spent on that walk).
   * A Date keeps milliseconds, not PostgreSQL's microseconds: truncated, the position can
   * only fall behind, so a row is read again (and skipped, leased), never missed.
   */
  claimDueReady(leaseMs: number, limit: number, after?: ClaimPosition): Promise<ReadyRow[]> {
    return this.db.run(claimDueReady, [Math.ceil(leaseMs), limit, after?.createdAt ?? '-infinity', after?.id ?? NIL_UUID]);
  }

  claimDuePrepared(kind: string, leaseMs: number, limit: number, olderThanMs: number): Promise<PreparedRow[]> {
    return this.db.run(claimDuePrepared, [Math.ceil(leaseMs), limit, kind, olderThanMs]);
  }

  /** A failed publish or an unanswered check-back: due again in `delayMs`. */
  async postpone(id: string, delayMs: number, failure: { attempts?: number; error?: string | null }): Promise<void> {
    await this.db.run(postpone, [id, failure.attempts ?? null, failure.error ?? null, Math.ceil(delayMs)]);
  }

  async counts(stuckAfterAttempts: number): Promise<OutboxCounts> {
    return (await this.db.run(counts, [stuckAfterAttempts]))[0];
  }

  async oldestReady(): Promise<OldestReady | undefined> {
    return (await this.db.run(oldestReady))[0];
  }

  oldest(limit: number): Promise<OutboxRow[]> {
    return this.db.run(oldest, [limit]);
  }
}
