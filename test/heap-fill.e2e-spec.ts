import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { Db } from '../src/database/db';
import { StockRepository } from '../src/stock/stock.repository';
import { TestWorld } from './support/test-world';

/**
 * A grown table's pages, filled to the brim, each keep a small row's worth of room; once
 * vacuum has recorded it, a table filled to 100% puts each new row on a different old page,
 * and each such page costs a full-page image in the WAL after every checkpoint. At 90% an
 * insert wants a tenth of a page beyond its row, which those pages do not have: the rows of
 * the tables inserted, then updated, go to the table's end.
 */
describe('heap fill of the tables whose rows are inserted, then updated', () => {
  let world: TestWorld;
  let pool: Pool;

  beforeAll(async () => {
    world = await TestWorld.create('heap_fill');
    await world.migrate();
    pool = new Pool({ connectionString: world.databaseUrl, max: 2 });
  });

  afterAll(async () => {
    await pool?.end();
    await world?.destroy();
  });

  it('are filled to 90%', async () => {
    const tables = await world.query<{ relname: string; reloptions: string[] | null }>(
      `SELECT relname, reloptions FROM pg_class WHERE relname IN ('orders', 'stock_reservations', 'notifications') ORDER BY relname`,
    );
    expect(tables).toEqual(['notifications', 'orders', 'stock_reservations'].map((relname) => ({ relname, reloptions: ['fillfactor=90'] })));
  });

  it("puts new reservations at the table's end, not in the room old pages kept", async () => {
    // Written as a load or a table from before the setting leaves it: pages full to the last
    // row, each with the room of one of these rows or less left, recorded by vacuum.
    await world.query(`ALTER TABLE stock_reservations SET (fillfactor = 100)`);
    await world.query(
      `INSERT INTO stock_reservations (order_id, state, items)
       SELECT gen_random_uuid(), 'RESERVED', jsonb_build_array(jsonb_build_object('sku', repeat('S', 1 + i % 97), 'quantity', 1, 'unitPrice', 1999))
         FROM generate_series(1, 20000) AS i`,
    );
    await world.query(`ALTER TABLE stock_reservations SET (fillfactor = 90)`);
    await world.query(`VACUUM stock_reservations`);
    const [{ pages }] = await world.query<{ pages: number }>(`SELECT (pg_relation_size('stock_reservations') / 8192)::int AS pages`);
    await world.query(`CREATE EXTENSION IF NOT EXISTS pg_freespacemap`);
    const [{ roomy }] = await world.query<{ roomy: number }>(
      `SELECT count(*)::int AS roomy FROM pg_freespace('stock_reservations') WHERE avail >= 128 AND blkno < $1 - 1`,
      [pages],
    );
    // Room enough for a small reservation on many old pages: where a table filled to 100% would put them.
    expect(roomy).toBeGreaterThan(50);

    const db = new Db(pool);
    const stock = new StockRepository(db);
    await stock.setLevel('HEAP-FILL', 1_000_000, 100);
    const orderIds = Array.from({ length: 100 }, () => randomUUID());
    for (const orderId of orderIds) {
      const outcome = await db.transaction((tx) => stock.reserve(orderId, [{ sku: 'HEAP-FILL', quantity: 1 }], tx));
      expect(outcome.taken).toBe(1);
    }
    const blocks = await world.query<{ block: number }>(
      `SELECT (ctid::text::point)[0]::int AS block FROM stock_reservations WHERE order_id = ANY($1::uuid[])`,
      [orderIds],
    );
    expect(blocks).toHaveLength(100);
    // The last page before them may have kept room for more than a tenth of a page.
    expect(blocks.map(({ block }) => block).filter((block) => block < pages - 1)).toEqual([]);
  });
});
