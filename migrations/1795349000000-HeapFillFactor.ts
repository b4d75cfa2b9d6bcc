import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Rows of orders, stock reservations and notifications are inserted, then updated a few times
 * within minutes: at a fill factor of 90, each page keeps a tenth free for those updates, so
 * they stay HOT (on the row's own page, with no new index entries).
 *
 * It also stops a costly walk on a database that ran without it. Filled to the brim, each page
 * of a grown table keeps up to a row's worth of room; once vacuum has recorded it, new rows
 * go to old pages one by one, and the first change to a page after a checkpoint writes the
 * whole 8 kB page to the WAL. On a database of two million orders that was one such page an
 * order for `stock_reservations` and one in twelve for `orders`: 13.4 kB of WAL an order, 5.1
 * kB once set (pg_walinspect, 60 s of the hot path). An insert now wants a tenth of a page
 * free beyond its row, which none of those pages has. (A table loaded in bulk at 90%, as a
 * restore from a dump does, walks its pages once all the same: docs/operations.md.)
 *
 * Only pages written from now on are filled to 90%; the setting takes a lock that no read or
 * write waits for.
 */
export class HeapFillFactor1795349000000 implements MigrationInterface {
    name = 'HeapFillFactor1795349000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        for (const table of ['orders', 'stock_reservations', 'notifications']) {
            await queryRunner.query(`ALTER TABLE "${table}" SET (fillfactor = 90)`);
        }
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        for (const table of ['orders', 'stock_reservations', 'notifications']) {
            await queryRunner.query(`ALTER TABLE "${table}" RESET (fillfactor)`);
        }
    }
}
