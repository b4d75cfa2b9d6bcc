import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';
import { Bound, Statement } from '../database/sql';
import { TimePartitions } from '../database/time-partitions';

/**
 * processed_messages is partitioned by day, and PostgreSQL's unique indexes are each
 * partition's own: a marker made yesterday does not stop one made today by a conflict. So
 * the first run of a message is the one that finds no marker in any partition, and two runs
 * of the same message at once (a redelivery while the first run is still in its
 * transaction) are put one after the other by a transaction lock on the pair: the second
 * takes its snapshot after the first has committed, and finds its marker.
 */
const lockMessage = new Statement(
  'compensation lock message',
  `SELECT pg_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 0))`,
);

/**
 * The marker, unless one was made between $3, a day before the event occurred, and $4, a
 * day from now. Sent inline, so PostgreSQL plans and probes only the partitions between
 * (two or three), not every day PROCESSED_RETENTION keeps nor the week made ahead, on each
 * of the hot path's handler runs.
 */
const markProcessed = new Statement<{ message_id: string }>(
  'compensation mark processed',
  `INSERT INTO processed_messages (handler, message_id)
   SELECT $1, $2::uuid WHERE NOT EXISTS (
     SELECT 1 FROM processed_messages WHERE handler = $1 AND message_id = $2::uuid AND processed_at >= $3::timestamptz AND processed_at < $4::timestamptz)
   ON CONFLICT DO NOTHING RETURNING message_id`,
);

/**
 * How long before its event's `occurredAt` a message's marker may have been made, and how
 * far past this process's now: none can be made before the event, and a day covers a
 * publisher's or this process's clock that far off the database's.
 */
const CLOCK_MARGIN_MS = 24 * 60 * 60_000;

const processedBuckets = new Statement<{ at: Date; count: number }>(
  'compensation processed buckets',
  `SELECT date_bin($1 * interval '1 millisecond', processed_at, 'epoch') AS at, count(*)::int AS count
     FROM processed_messages WHERE processed_at >= $2 GROUP BY 1`,
);

/** The idempotency markers of handler runs: (handler queue, message id), one per message a handler processed. */
@Injectable()
export class ProcessedMessagesRepository {
  /** A partition per day of `processed_at`: retention drops a day's markers whole (PROCESSED_RETENTION). */
  readonly partitions: TimePartitions;

  constructor(private readonly db: Db) {
    this.partitions = new TimePartitions(db, 'processed_messages');
  }

  /**
   * Marks the message processed by `handler`, to be sent with a handler transaction's BEGIN:
   * the last statement answers the row when this run is the first, none when the message was
   * done before. `occurredAt` is its envelope's: every delivery of a message carries the same
   * envelope (the outbox republishes it unchanged), so its earlier runs all came after it.
   * An instant in the future counts as now, so a wrong clock widens the search, never narrows it.
   */
  markProcessed(handler: string, messageId: string, occurredAt: string): Bound[] {
    const occurred = Date.parse(occurredAt);
    const now = Date.now();
    const since = new Date(Math.min(Number.isNaN(occurred) ? 0 : occurred, now) - CLOCK_MARGIN_MS);
    const until = new Date(now + CLOCK_MARGIN_MS);
    return [lockMessage.bind([handler, messageId]), markProcessed.bind([handler, messageId, since.toISOString(), until.toISOString()])];
  }

  /** Messages processed since `since`, in buckets of `bucketMs` counted from the epoch; empty buckets are left out. */
  processedBuckets(bucketMs: number, since: Date): Promise<{ at: Date; count: number }[]> {
    return this.db.run(processedBuckets, [bucketMs, since]);
  }

}
