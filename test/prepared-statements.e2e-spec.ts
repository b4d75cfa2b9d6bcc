import { Pool } from 'pg';
import '../src/app.module';
import { Db } from '../src/database/db';
import { everyStatement, Statement } from '../src/database/sql';
import { TestWorld } from './support/test-world';

/**
 * A statement sent in a simple query beside others (with BEGIN, with COMMIT) runs as
 * `EXECUTE` of its `PREPARE`d plan, prepared on first use on each connection: every one the
 * platform has must prepare on its schema, or the first transaction that sends it would fail.
 */
describe('prepared statements', () => {
  let world: TestWorld;
  let pool: Pool;

  beforeAll(async () => {
    world = await TestWorld.create('prepared_statements');
    await world.migrate();
    pool = new Pool({ connectionString: world.databaseUrl, max: 1 });
  }, 120_000);

  afterAll(async () => {
    await pool?.end();
    await world?.destroy();
  });

  it('every statement of the platform prepares on its migrated schema', async () => {
    const statements = everyStatement().filter((statement) => statement.preparable);
    // Every module's repositories, loaded with the app module: far more than a handful.
    expect(statements.length).toBeGreaterThan(100);
    const problems: string[] = [];
    for (const statement of statements) {
      await pool.query(statement.prepareText).catch((error: Error) => problems.push(`${statement.name}: ${error.message}`));
    }
    expect(problems).toEqual([]);
  });

  it('answers the same by EXECUTE as with its values written in', async () => {
    const [held] = everyStatement().filter((statement) => statement.name === 'stock holds reservation');
    const [reserved, free] = ['0190a0b1-0000-7000-8000-000000000001', '0190a0b1-0000-7000-8000-000000000002'];
    await pool.query(`INSERT INTO stock_reservations (order_id, state, items) VALUES ($1, 'RESERVED', '[]')`, [reserved]);
    const client = await pool.connect();
    try {
      await client.query('DEALLOCATE ALL');
      await client.query(held.prepareText);
      for (const [orderId, answer] of [[reserved, true], [free, false]] as const) {
        const bound = held.bind([orderId]);
        expect((await client.query(bound.execute())).rows).toEqual([{ held: answer }]);
        expect((await client.query(bound.inline())).rows).toEqual([{ held: answer }]);
      }
    } finally {
      client.release();
    }
  });

  describe('behind a pooler that forgets them (transaction mode: another server connection each transaction)', () => {
    const reserved = '0190a0b1-0000-7000-8000-000000000003';
    let held: Statement<{ held: boolean }>;
    let db: Db;

    beforeAll(async () => {
      held = everyStatement().find((statement) => statement.name === 'stock holds reservation') as Statement<{ held: boolean }>;
      await pool.query(`INSERT INTO stock_reservations (order_id, state, items) VALUES ($1, 'RESERVED', '[]')`, [reserved]);
    });
    beforeEach(() => {
      // One connection, so that DEALLOCATE ALL makes the server forget what this Db prepared.
      db = new Db(new Pool({ connectionString: world.databaseUrl, max: 1 }));
    });
    afterEach(() => db.end());

    it('sends a query that began its own transaction again, written in, and writes in from then on', async () => {
      expect(await db.runTogether([held.bind([reserved])])).toEqual([[{ held: true }]]);
      await db.execute('DEALLOCATE ALL');
      expect(await db.runTogether([held.bind([reserved])])).toEqual([[{ held: true }]]);
      const opened = held.bind([reserved]);
      expect(await db.transaction(async (tx) => tx.answerTo(opened), [opened])).toEqual([{ held: true }]);
      // Written in: nothing was prepared again.
      expect(await db.runTogether([new Statement('prepared probe', `SELECT count(*)::int AS n FROM pg_prepared_statements`).bind([])])).toEqual([[{ n: 0 }]]);
    });

    it('sends again a transaction whose BEGIN went with the statement', async () => {
      const opened = held.bind([reserved]);
      expect(await db.transaction(async (tx) => tx.answerTo(opened), [opened])).toEqual([{ held: true }]);
      await db.execute('DEALLOCATE ALL');
      expect(await db.transaction(async (tx) => tx.answerTo(opened), [opened])).toEqual([{ held: true }]);
    });

    it('fails a transaction already under way once, and the next one runs written in', async () => {
      const atCommit = (tx: Parameters<Parameters<Db['transaction']>[0]>[0]) => {
        tx.atCommit(held.bind([reserved]));
        return tx.execute('SELECT 1');
      };
      await db.transaction(atCommit);
      await db.execute('DEALLOCATE ALL');
      await expect(db.transaction(atCommit)).rejects.toThrow(/does not exist/);
      await expect(db.transaction(atCommit)).resolves.toBeUndefined();
    });
  });
});
