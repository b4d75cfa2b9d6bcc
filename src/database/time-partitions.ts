import { performance } from 'node:perf_hooks';
import { escapeIdentifier, escapeLiteral } from 'pg';
import { Db } from './db';
import { Statement } from './sql';

const DAY_MS = 86_400_000;
/** Partitions are made this many days ahead, so a process down for a while still finds today's. */
export const PARTITION_DAYS_AHEAD = 7;

/** A partition of a table partitioned by time, with its bounds as PostgreSQL reads them (null for MINVALUE / MAXVALUE). */
export interface TimePartition {
  name: string;
  from: Date | null;
  to: Date | null;
  /** Left half-detached by a DETACH … CONCURRENTLY that was cut short. */
  detaching: boolean;
  /** PostgreSQL's estimate of its rows (pg_class.reltuples; -1 before its first ANALYZE). */
  estimatedRows: number;
}

/** The bounds are read back through PostgreSQL's own timestamptz parsing of the bound expression. */
const partitionsOf = new Statement<{ name: string; from: Date | null; to: Date | null; detaching: boolean; estimated_rows: string }>(
  'partitions of a table',
  `SELECT c.relname AS name,
          (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz AS "from",
          (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz AS "to",
          i.inhdetachpending AS detaching, c.reltuples::bigint AS estimated_rows
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = $1::text::regclass
    ORDER BY 3 NULLS FIRST`,
);

/** The database's clock, so that every process ages partitions alike whatever its own clock says. */
const databaseNow = new Statement<{ now: Date }>('partitions database now', `SELECT now() AS now`);

/**
 * One table partitioned by range on a timestamptz column, a partition per UTC day, named
 * `<table>_pYYYYMMDD`. History kept for a retention is dropped a partition at a time: no row
 * is deleted, so no dead tuple and no vacuum debt is left, and dropping a day of millions of
 * rows takes milliseconds.
 *
 * Written here because no maintained Node library manages native partitions (pg_partman is a
 * server extension most managed databases do not offer). Both operations are made to run
 * beside the hot path: a partition is made empty and then ATTACHed, and dropped after a
 * DETACH … CONCURRENTLY; both take only SHARE UPDATE EXCLUSIVE on the parent, which no
 * INSERT, UPDATE or SELECT waits for (CREATE TABLE … PARTITION OF and DROP TABLE of an
 * attached partition would take ACCESS EXCLUSIVE and stall every writer behind them).
 */
export class TimePartitions {
  constructor(
    private readonly db: Db,
    readonly table: string,
  ) {}

  partitions(): Promise<TimePartition[]> {
    return this.db
      .run(partitionsOf, [this.table])
      .then((rows) => rows.map((row) => ({ name: row.name, from: row.from, to: row.to, detaching: row.detaching, estimatedRows: Number(row.estimated_rows) })));
  }

  /** Makes the partitions missing from today (by the database's clock) to PARTITION_DAYS_AHEAD days on; answers how many it made. */
  async ensureAhead(): Promise<number> {
    const [{ now }] = await this.db.run(databaseNow);
    return this.ensure(now, new Date(now.getTime() + PARTITION_DAYS_AHEAD * DAY_MS));
  }

  /**
   * Makes a partition for every UTC day from `from`'s to `to`'s that no partition covers yet;
   * answers how many it made. Several processes may call it at once: each partition is made
   * under a lock on the table's name, and one found made meanwhile is left alone.
   */
  async ensure(from: Date, to: Date): Promise<number> {
    let made = 0;
    for (let day = startOfDay(from); day.getTime() <= to.getTime(); day = new Date(day.getTime() + DAY_MS)) {
      if (await this.makeDay(day)) made += 1;
    }
    return made;
  }

  /**
   * Detaches and drops every partition whose whole range is older than `olderThanMs` by the
   * database's clock; answers those this call dropped. A detach cut short before (a crash)
   * is finished first. Processes doing it at once each drop some: a partition another one
   * took meanwhile is simply gone from the list. `afterEach` is awaited after each drop with
   * how long it took, for the caller to pace them; the drops stop when it answers false.
   */
  async dropOlderThan(olderThanMs: number, afterEach: (tookMs: number) => Promise<boolean> = async () => true): Promise<TimePartition[]> {
    const [{ now }] = await this.db.run(databaseNow);
    const cutoff = now.getTime() - olderThanMs;
    const due = (await this.partitions()).filter((partition) => partition.to !== null && partition.to.getTime() <= cutoff);
    const dropped: TimePartition[] = [];
    for (const partition of due) {
      const started = performance.now();
      try {
        await this.drop(partition);
        dropped.push(partition);
      } catch (error) {
        if ((await this.partitions()).some((still) => still.name === partition.name)) throw error;
      }
      if (!(await afterEach(performance.now() - started))) break;
    }
    return dropped;
  }

  private async drop(partition: TimePartition): Promise<void> {
    const name = escapeIdentifier(partition.name);
    // Each its own statement, outside any transaction: DETACH … CONCURRENTLY refuses to run inside one.
    await this.db.execute(`ALTER TABLE ${escapeIdentifier(this.table)} DETACH PARTITION ${name} ${partition.detaching ? 'FINALIZE' : 'CONCURRENTLY'}`);
    await this.db.execute(`DROP TABLE ${name}`);
  }

  private async makeDay(day: Date): Promise<boolean> {
    const end = new Date(day.getTime() + DAY_MS);
    const name = `${this.table}_p${day.toISOString().slice(0, 10).replaceAll('-', '')}`;
    const parent = escapeIdentifier(this.table);
    return this.db.transaction(async (transaction) => {
      const covered = await transaction.run(coveringPartition, [this.table, day.toISOString()]);
      if (covered.length > 0) return false;
      // LIKE copies columns, defaults and NOT NULLs; ATTACH gives the new table the parent's indexes.
      await transaction.execute(`CREATE TABLE ${escapeIdentifier(name)} (LIKE ${parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)`);
      await transaction.execute(
        `ALTER TABLE ${parent} ATTACH PARTITION ${escapeIdentifier(name)} FOR VALUES FROM (${escapeLiteral(day.toISOString())}) TO (${escapeLiteral(end.toISOString())})`,
      );
      return true;
    }, [partitionLock.bind([this.table])]);
  }
}

/** Taken with BEGIN: one process at a time makes a table's partitions, and a wait for the parent never queues the hot path for long. */
const partitionLock = new Statement('partitions lock', `SELECT pg_advisory_xact_lock(hashtext('partitions:' || $1)), set_config('lock_timeout', '5s', true)`);

const coveringPartition = new Statement(
  'partitions covering a day',
  `SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = $1::text::regclass
      AND coalesce((regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz, '-infinity') <= $2::timestamptz
      AND coalesce((regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz, 'infinity') > $2::timestamptz`,
);

function startOfDay(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
}
