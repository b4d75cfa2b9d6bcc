import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import '../src/app.module';
import { dataSourceOptions } from '../src/database/data-source-options';
import { everyStatement } from '../src/database/sql';
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
    const dataSource = new DataSource(dataSourceOptions({ url: world.databaseUrl }));
    await dataSource.initialize();
    await dataSource.runMigrations();
    await dataSource.destroy();
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
});
