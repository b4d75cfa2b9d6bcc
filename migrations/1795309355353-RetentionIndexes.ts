import { MigrationInterface, QueryRunner } from "typeorm";

export class RetentionIndexes1795309355353 implements MigrationInterface {
    name = 'RetentionIndexes1795309355353'
    // Built CONCURRENTLY, outside a transaction: processed_messages and deliveries are hot and,
    // before retention, large; a plain CREATE INDEX would block every handler while it builds.
    // IF [NOT] EXISTS, so a run cut short can simply run again.
    transaction = false

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "notifications_delivered_at" ON "notifications" ("delivered_at") WHERE state = 'DELIVERED'`);
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "deliveries_attempted_at" ON "deliveries" ("attempted_at") `);
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "processed_messages_processed_at" ON "processed_messages" ("processed_at") `);
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "failed_messages_closed" ON "failed_messages" ("resolved_at") WHERE status IN ('RESOLVED', 'DISCARDED')`);
        // resolved_at now also dates a discard; rows discarded before take the time of their discard action.
        await queryRunner.query(`UPDATE "failed_messages" f SET "resolved_at" = COALESCE((SELECT max(a."at") FROM "failed_message_actions" a WHERE a."failed_message_id" = f."id" AND a."action" = 'discard'), f."last_failed_at") WHERE f."status" = 'DISCARDED' AND f."resolved_at" IS NULL`);
    }

    // Plain DROP INDEX: quick, and `migration:revert` runs down() in a transaction whatever `transaction` says.
    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."failed_messages_closed"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."processed_messages_processed_at"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."deliveries_attempted_at"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."notifications_delivered_at"`);
    }

}
