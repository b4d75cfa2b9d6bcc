import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import { DataSource, MigrationInterface } from 'typeorm';
import { ProcessedMessagesRepository } from '../src/compensation/processed-messages.repository';
import { dataSourceOptions } from '../src/database/data-source-options';
import { Db } from '../src/database/db';
import type { Bound } from '../src/database/sql';
import { PARTITION_DAYS_AHEAD, TimePartitions } from '../src/database/time-partitions';
import { TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const DAY_MS = 86_400_000;
const PARTITIONING = 'PartitionHistory1795340000000';

/** Every migration class of the repository, in order; `until` leaves out that one and those after it. */
function migrations(until?: string): (new () => MigrationInterface)[] {
  const directory = join(__dirname, '..', 'migrations');
  const classes = readdirSync(directory)
    .filter((file) => file.endsWith('.ts'))
    .sort()
    .flatMap((file) => Object.values(require(join(directory, file)) as Record<string, new () => MigrationInterface>));
  const cut = until === undefined ? -1 : classes.findIndex((migration) => new migration().name === until);
  return cut === -1 ? classes : classes.slice(0, cut);
}

async function migrate(url: string, until?: string): Promise<void> {
  const source = new DataSource({ ...dataSourceOptions({ url }), migrations: migrations(until), logging: false });
  await source.initialize();
  try {
    await source.runMigrations();
  } finally {
    await source.destroy();
  }
}

const dayName = (table: string, at: Date) => `${table}_p${at.toISOString().slice(0, 10).replaceAll('-', '')}`;

describe('history tables partitioned by day', () => {
  let world: TestWorld;

  beforeAll(async () => {
    world = await TestWorld.create('partitions');
  });
  afterAll(async () => {
    await world.destroy();
  });

  describe('the migration, on a live database with history', () => {
    let url: string;
    let pool: Pool;

    beforeAll(async () => {
      url = await world.createDatabase('live');
      await migrate(url, PARTITIONING);
      pool = new Pool({ connectionString: url, max: 4 });
      await pool.query(
        `INSERT INTO processed_messages (handler, message_id, processed_at)
         SELECT 'stock.reserve', gen_random_uuid(), now() - i * interval '1 minute' FROM generate_series(1, 20000) AS i`,
      );
      await pool.query(
        `INSERT INTO deliveries (event_id, order_id, attempt, url, http_status, duration_ms, delivered, attempted_at)
         SELECT gen_random_uuid(), gen_random_uuid(), 1, 'https://merchant.example/notify', 200, 5, true, now() - i * interval '1 minute' FROM generate_series(1, 20000) AS i`,
      );
    }, 120_000);
    afterAll(async () => {
      await pool.end();
    });

    it('keeps every row, takes writes all along, and leaves the old table as the partition of everything before', async () => {
      // Writers as the platform's: markers and delivery log entries, one after another, the whole time.
      let writing = true;
      const written = { markers: 0, deliveries: 0 };
      const errors: string[] = [];
      const writer = (async () => {
        while (writing) {
          try {
            await pool.query(`INSERT INTO processed_messages (handler, message_id) VALUES ('notify.merchant', $1) ON CONFLICT DO NOTHING`, [randomUUID()]);
            written.markers += 1;
            await pool.query(`INSERT INTO deliveries (event_id, attempt, url, attempted_at) VALUES ($1, 1, 'https://merchant.example/notify', now())`, [randomUUID()]);
            written.deliveries += 1;
          } catch (error) {
            errors.push((error as Error).message);
          }
        }
      })();
      await waitFor(() => written.deliveries > 20, { what: 'the writers to be under way' });
      await migrate(url);
      const afterMigration = { ...written };
      await waitFor(() => written.deliveries > afterMigration.deliveries + 20, { what: 'the writers to go on after the switch' });
      writing = false;
      await writer;

      expect(errors).toEqual([]);
      const count = async (sql: string) => Number((await pool.query(`SELECT count(*) AS n FROM ${sql}`)).rows[0].n);
      expect(await count('processed_messages')).toBe(20000 + written.markers);
      expect(await count('deliveries')).toBe(20000 + written.deliveries);
      for (const table of ['processed_messages', 'deliveries']) {
        const partitions = await new TimePartitions(new Db(pool), table).partitions();
        // The old table, then a partition a day from the day after tomorrow to a week ahead.
        expect(partitions[0]).toMatchObject({ name: `${table}_legacy`, from: null });
        const days = partitions.slice(1);
        expect(days.map((partition) => partition.name)).toEqual(
          Array.from({ length: PARTITION_DAYS_AHEAD - 1 }, (_, index) => dayName(table, new Date(Date.now() + (index + 2) * DAY_MS))),
        );
        expect(days[0].from).toEqual(partitions[0].to);
      }
      // The serial goes on from where it was, and now belongs to the partitioned table.
      const [{ owner }] = (await pool.query(`SELECT pg_get_serial_sequence('deliveries', 'id') AS owner`)).rows;
      expect(owner).toBe('public.deliveries_id_seq');
    });

    it('a message marked before the switch is still refused after it', async () => {
      const [{ message_id: old, processed_at: markedAt }] = (await pool.query(`SELECT message_id, processed_at FROM processed_messages WHERE handler = 'stock.reserve' LIMIT 1`)).rows;
      const processed = new ProcessedMessagesRepository(new Db(pool));
      const db = new Db(pool);
      // Its event occurred shortly before it was first run.
      const occurredAt = new Date((markedAt as Date).getTime() - 60_000).toISOString();
      const marked = async (marking: Bound[]) => db.transaction(async (tx) => tx.answerTo(marking.at(-1)!).length, marking);
      expect(await marked(processed.markProcessed('stock.reserve', old, occurredAt))).toBe(0);
      expect(await marked(processed.markProcessed('stock.reserve', randomUUID(), new Date().toISOString()))).toBe(1);
    });
  });

  describe('markers across days', () => {
    let pool: Pool;
    let db: Db;
    let processed: ProcessedMessagesRepository;

    beforeAll(async () => {
      const url = await world.createDatabase('markers');
      await migrate(url);
      pool = new Pool({ connectionString: url, max: 4 });
      db = new Db(pool);
      processed = new ProcessedMessagesRepository(db);
      await processed.partitions.ensure(new Date(Date.now() - 3 * DAY_MS), new Date(Date.now() + 7 * DAY_MS));
    });
    afterAll(async () => {
      await pool.end();
    });

    /** The event of every message here occurred a day and an hour ago, just before its first run. */
    const OCCURRED_AT = () => new Date(Date.now() - DAY_MS - 3_600_000).toISOString();
    const mark = (messageId: string) => {
      const marking = processed.markProcessed('notify.merchant', messageId, OCCURRED_AT());
      return db.transaction(async (tx) => tx.answerTo(marking.at(-1)!).length, marking);
    };

    it("yesterday's marker stops today's run, though each day's partition has its own unique index", async () => {
      const messageId = randomUUID();
      await pool.query(`INSERT INTO processed_messages (handler, message_id, processed_at) VALUES ('notify.merchant', $1, now() - interval '1 day')`, [messageId]);
      expect(await mark(messageId)).toBe(0);
      expect(await mark(randomUUID())).toBe(1);
    });

    it('looks for markers only in the days from one before the event occurred to one after now, and from a day before now for an event dated in the future', async () => {
      const partitionsRead = async (occurredAt: string) => {
        const check = processed.markProcessed('notify.merchant', randomUUID(), occurredAt).at(-1)!;
        const plan = (await pool.query(`EXPLAIN ${check.inline()}`)).rows.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n');
        return [...new Set(plan.match(/processed_messages_p\d{8}/g) ?? [])].sort();
      };
      const day = (ago: number) => `processed_messages_p${new Date(Date.now() - ago * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '')}`;
      // An hour ago: today's partition and the day or two around it, not three days back nor the week made ahead.
      const recent = await partitionsRead(new Date(Date.now() - 3_600_000).toISOString());
      expect(recent).toContain(day(0));
      expect(recent).not.toContain(day(3));
      expect(recent).not.toContain(day(-3));
      expect(recent.length).toBeLessThanOrEqual(4);
      // A publisher's clock a week ahead counts as now, not as next week.
      expect(await partitionsRead(new Date(Date.now() + 7 * DAY_MS).toISOString())).toEqual(await partitionsRead(new Date().toISOString()));
      // Three days ago: three days' more partitions.
      expect(await partitionsRead(new Date(Date.now() - 3 * DAY_MS).toISOString())).toContain(day(3));
    });

    it('a second run of a message while the first is in its transaction waits, and then finds its marker', async () => {
      const messageId = randomUUID();
      const first = await pool.connect();
      try {
        // The first run's transaction: the message's lock, and its marker written on a day other than the second run's.
        await first.query('BEGIN');
        for (const bound of processed.markProcessed('notify.merchant', messageId, OCCURRED_AT()).slice(0, 1)) await first.query(bound.inline());
        await first.query(`INSERT INTO processed_messages (handler, message_id, processed_at) VALUES ('notify.merchant', $1, now() - interval '1 day')`, [messageId]);
        const second = mark(messageId);
        await waitFor(
          async () =>
            (await pool.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`)).rowCount === 1,
          { what: 'the second run to wait for the first' },
        );
        await first.query('COMMIT');
        expect(await second).toBe(0);
      } finally {
        first.release();
      }
    });
  });

  describe('making and dropping days', () => {
    let pool: Pool;
    let partitions: TimePartitions;

    beforeAll(async () => {
      const url = await world.createDatabase('days');
      await migrate(url);
      pool = new Pool({ connectionString: url, max: 6 });
      partitions = new TimePartitions(new Db(pool), 'deliveries');
    });
    afterAll(async () => {
      await pool.end();
    });

    it('processes making the same days at once make each once', async () => {
      const from = new Date(Date.now() - 40 * DAY_MS);
      const made = await Promise.all([1, 2, 3].map(() => partitions.ensure(from, new Date())));
      // Today's was made by the migration; the 40 before it by one of the three.
      expect(made.reduce((sum, each) => sum + each, 0)).toBe(40);
      expect(await partitions.ensureAhead()).toBe(0);
      const names = (await partitions.partitions()).map((partition) => partition.name);
      expect(names).toHaveLength(41 + PARTITION_DAYS_AHEAD);
      expect(new Set(names).size).toBe(names.length);
    });

    it('drops exactly the days wholly older than the retention, with their rows, and keeps the rest', async () => {
      await pool.query(
        `INSERT INTO deliveries (event_id, attempt, url, attempted_at)
         SELECT gen_random_uuid(), 1, 'https://merchant.example/notify', now() - i * interval '1 hour' FROM generate_series(0, 40 * 24 - 1) AS i`,
      );
      // Paced by its caller: told how long each drop took, and stopped when it says so.
      const took: number[] = [];
      const first = await partitions.dropOlderThan(30 * DAY_MS, async (tookMs) => took.push(tookMs) < 3);
      expect(first).toHaveLength(3);
      expect(took).toHaveLength(3);
      expect(took.every((ms) => ms > 0)).toBe(true);
      const dropped = [...first, ...(await partitions.dropOlderThan(30 * DAY_MS))];
      const remaining = await partitions.partitions();
      // A day goes when its end is at least 30 days ago; the day that holds "30 days ago" stays.
      const boundary = Date.now() - 30 * DAY_MS;
      expect(dropped.every((partition) => partition.to!.getTime() <= boundary)).toBe(true);
      expect(remaining.every((partition) => partition.to!.getTime() > boundary - 60_000)).toBe(true);
      expect(dropped.length).toBeGreaterThanOrEqual(9);
      const [{ oldest }] = (await pool.query(`SELECT min(attempted_at) AS oldest FROM deliveries`)).rows;
      expect((oldest as Date).getTime()).toBeGreaterThanOrEqual(remaining[0].from!.getTime());
      // The dropped tables are gone, not left detached.
      const leftOver = await pool.query(`SELECT relname FROM pg_class WHERE relname = ANY($1)`, [dropped.map((partition) => partition.name)]);
      expect(leftOver.rows).toEqual([]);
      expect(await partitions.dropOlderThan(30 * DAY_MS)).toEqual([]);
    });
  });
});
