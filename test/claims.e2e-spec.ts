import { Pool } from 'pg';
import { randomUUID } from 'node:crypto';
import { createEnvelope } from '@backstop/transport';
import { OutboxRepository } from '../src/coordinator/outbox.repository';
import { Db } from '../src/database/db';
import { Statement } from '../src/database/sql';
import { TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/**
 * The database layer and a claim, against the real PostgreSQL: claims by processes side by
 * side never overlap, a lease that runs out makes its rows due again, and a transaction's
 * opening and closing statements, sent with BEGIN and COMMIT, are part of it.
 */
describe('claims and transactions', () => {
  let world: TestWorld;
  let db: Db;
  let outbox: OutboxRepository;

  beforeAll(async () => {
    world = await TestWorld.create('claims');
    await world.migrate();
    db = new Db(new Pool({ connectionString: world.databaseUrl, max: 4 }));
    outbox = new OutboxRepository(db);
  });

  afterAll(async () => {
    await db?.end();
    await world?.destroy();
  });

  beforeEach(() => world.query(`DELETE FROM outbox`));

  /** READY rows due now, written a millisecond apart so their order is known. */
  async function dueRows(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const envelope = createEnvelope('order.confirmed', { orderId: randomUUID() });
      await db.runTogether([outbox.insertReady([envelope], 0)]);
      ids.push(envelope.id);
    }
    return ids;
  }

  it('gives two claimers side by side disjoint rows, oldest first, and leases them', async () => {
    const ids = await dueRows(30);
    const [first, second] = await Promise.all([outbox.claimDueReady(60_000, 20), outbox.claimDueReady(60_000, 20)]);
    const claimed = [...first, ...second].map((row) => row.id);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(new Set(claimed)).toEqual(new Set(ids));
    // Each claimer took the oldest rows it could lock; together, every row once.
    expect(await outbox.claimDueReady(60_000, 20)).toEqual([]);
  });

  it('goes on from where the last claim of a round ended, without missing a row', async () => {
    const ids = await dueRows(12);
    const first = await outbox.claimDueReady(60_000, 5);
    expect(first.map((row) => row.id)).toEqual(ids.slice(0, 5));
    const last = first.at(-1)!;
    const next = await outbox.claimDueReady(60_000, 5, { createdAt: last.created_at, id: last.id });
    expect(next.map((row) => row.id)).toEqual(ids.slice(5, 10));
  });

  it('claims a backlog along outbox_created_at once its statistics are refreshed, reading only the batch', async () => {
    // A backlog written at once, as an outage leaves it, into a table never analyzed since it was nearly empty.
    await world.query(
      `INSERT INTO outbox (id, state, routing_key, envelope, next_attempt_at, created_at)
       SELECT gen_random_uuid(), 'READY', 'order.confirmed', '{}'::jsonb, now() - interval '1 second', now() - i * interval '1 millisecond'
         FROM generate_series(1, 20000) AS i`,
    );
    // The claim as the relay sends it, planned as it stands now.
    const claimPlan = async () => {
      const sent: { text: string; values: unknown[] }[] = [];
      const capturing = new (class extends Db {
        override async run<Row>(statement: Statement<Row>, values: unknown[] = []): Promise<Row[]> {
          sent.push({ text: statement.text, values });
          return [];
        }
      })(new Pool({ max: 0 }));
      await new OutboxRepository(capturing).claimDueReady(60_000, 200);
      const rows = await world.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sent[0].text}`, sent[0].values);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    };
    // Planned on statistics of an empty table: every due row read and sorted for a batch.
    expect(await claimPlan()).toContain('Sort');
    // Backends report their changes to the statistics within a second or so.
    await waitFor(() => outbox.analyzeIfStale(), { what: 'the outbox to be seen as changed since its last ANALYZE, and analyzed' });
    const plan = await claimPlan();
    expect(plan).toContain('Index Scan using outbox_created_at');
    expect(plan).not.toContain('Sort');
  });

  it('makes rows due again when their lease runs out', async () => {
    const ids = await dueRows(3);
    expect((await outbox.claimDueReady(300, 10)).map((row) => row.id).sort()).toEqual([...ids].sort());
    expect(await outbox.claimDueReady(300, 10)).toEqual([]);
    const again = await waitFor(async () => {
      const rows = await outbox.claimDueReady(300, 10);
      return rows.length > 0 && rows;
    }, { what: 'the lease to run out' });
    expect(again.map((row) => row.id).sort()).toEqual([...ids].sort());
  });

  it('commits the statements left for the commit with the work, and keeps nothing when one fails', async () => {
    const kept = createEnvelope('order.confirmed', { orderId: randomUUID() });
    await db.transaction(async (tx) => tx.atCommit(outbox.insertReady([kept], 0)));
    expect(await world.query(`SELECT id FROM outbox`)).toEqual([{ id: kept.id }]);

    const lost = createEnvelope('order.confirmed', { orderId: randomUUID() });
    const duplicate = outbox.insertReady([kept], 0);
    await expect(
      db.transaction(async (tx) => {
        tx.atCommit(outbox.insertReady([lost], 0));
        tx.atCommit(duplicate);
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await world.query(`SELECT id FROM outbox`)).toEqual([{ id: kept.id }]);
  });

  it('hands the opening statement’s rows to the work, and rolls back when the opening fails', async () => {
    const probe = new Statement<{ answer: number }>('claims test probe', `SELECT $1::int AS answer`);
    const opening = probe.bind([42]);
    expect(await db.transaction(async (tx) => tx.answerTo(opening), [opening])).toEqual([{ answer: 42 }]);
    await expect(db.transaction(async (tx) => tx.answerTo(probe.bind([43])), [opening])).rejects.toThrow(/claims test probe was not sent with BEGIN/);
    const failing = new Statement('claims test failing opening', `SELECT 1 / $1::int`);
    await expect(db.transaction(async () => 'never', [failing.bind([0])])).rejects.toThrow(/division by zero/);
    // The connection went back clean: the pool still answers.
    expect(await db.run(probe, [7])).toEqual([{ answer: 7 }]);
  });

  it('answers a read sent ahead with BEGIN from there, once, and only for the same values', async () => {
    await world.query('CREATE SEQUENCE claims_ahead');
    const next = new Statement<{ n: string }>('claims test next', `SELECT nextval('claims_ahead') AS n, $1::int AS k`);
    const numbers = await db.transaction(async (tx) => {
      const ahead = await tx.run(next, [1]);
      const again = await tx.run(next, [1]);
      const other = await tx.run(next, [2]);
      return [ahead, again, other].map(([row]) => row.n);
    }, [next.bind([1])]);
    // Sent ahead it ran first; asked for again it runs again; other values are another read.
    expect(numbers).toEqual(['1', '2', '3']);
    // A first statement that goes with BEGIN as the work's own is not kept: the same one again runs again.
    const lazily = await db.transaction(async (tx) => [await tx.run(next, [1]), await tx.run(next, [1])].map(([row]) => row.n));
    expect(lazily).toEqual(['4', '5']);
  });
});
