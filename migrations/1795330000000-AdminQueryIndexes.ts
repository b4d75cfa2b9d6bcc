import { orderIdOf } from "@backstop/transport";
import { MigrationInterface, QueryRunner } from "typeorm";

// Small batches: a payload may be megabytes, and each batch is a short transaction of its own.
const BACKFILL_BATCH = 200;

export class AdminQueryIndexes1795330000000 implements MigrationInterface {
    name = 'AdminQueryIndexes1795330000000'
    // Built CONCURRENTLY, outside a transaction, as in RetentionIndexes: these tables are hot and
    // large, and a plain CREATE INDEX would block every writer while it builds. The backfill runs
    // in batches, each committed alone, so no long transaction holds row locks or bloats the table.
    transaction = false

    public async up(queryRunner: QueryRunner): Promise<void> {
        // No default: adding a nullable column rewrites nothing.
        await queryRunner.query(`ALTER TABLE "failed_messages" ADD COLUMN IF NOT EXISTS "order_id" uuid`);
        await this.backfillOrderIds(queryRunner);
        // The listing filtered by status (and handler), newest first: scanned backward, each stops after a page.
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "failed_messages_status_handler_listing" ON "failed_messages" ("status", "handler", "first_failed_at", "id")`);
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "failed_messages_status_listing" ON "failed_messages" ("status", "first_failed_at", "id")`);
        // q= matches an order id, a message id or a routing key: each is looked up by its own index.
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "failed_messages_order" ON "failed_messages" ("order_id")`);
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "failed_messages_message" ON "failed_messages" ("message_id")`);
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "failed_messages_routing_key" ON "failed_messages" ("routing_key")`);
        // The stats' failed runs read only the rows that failed within the window.
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "failed_messages_last_failed_at" ON "failed_messages" ("last_failed_at")`);
        // After an outage the outbox holds 100k rows: its counts by state and its oldest row from indexes.
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "outbox_state_attempts" ON "outbox" ("state", "attempts")`);
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "outbox_created_at" ON "outbox" ("created_at", "id")`);
    }

    /** order_id as FailureRecorder writes it (orderIdOf reads it from the payload text, even one cut short); by id, a batch at a time. */
    private async backfillOrderIds(queryRunner: QueryRunner): Promise<void> {
        let after = '00000000-0000-0000-0000-000000000000';
        for (;;) {
            const rows: { id: string; payload: string }[] = await queryRunner.query(
                `SELECT id, payload FROM "failed_messages" WHERE id > $1 AND order_id IS NULL ORDER BY id LIMIT $2`,
                [after, BACKFILL_BATCH],
            );
            if (rows.length === 0) return;
            const found = rows.map((row) => ({ id: row.id, orderId: orderIdOf(row.payload) })).filter((row) => row.orderId !== null);
            if (found.length > 0) {
                await queryRunner.query(
                    `UPDATE "failed_messages" f SET order_id = found.order_id
                       FROM unnest($1::uuid[], $2::uuid[]) AS found (id, order_id)
                      WHERE f.id = found.id AND f.order_id IS NULL`,
                    [found.map((row) => row.id), found.map((row) => row.orderId)],
                );
            }
            after = rows[rows.length - 1].id;
        }
    }

    // Plain DROP INDEX: quick, and `migration:revert` runs down() in a transaction whatever `transaction` says.
    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."outbox_created_at"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."outbox_state_attempts"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."failed_messages_last_failed_at"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."failed_messages_routing_key"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."failed_messages_message"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."failed_messages_order"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."failed_messages_status_listing"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."failed_messages_status_handler_listing"`);
        await queryRunner.query(`ALTER TABLE "failed_messages" DROP COLUMN IF EXISTS "order_id"`);
    }

}
