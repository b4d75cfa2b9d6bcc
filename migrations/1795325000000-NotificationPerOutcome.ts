import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * One notification per order and outcome: a second event claiming the same outcome (a forged
 * `order.paid` under a new envelope id) finds the first one's row and sends nothing of its own.
 * Rows that such events made before are history of a defect: the earliest per order and
 * outcome is kept, the others (and their delivery log) removed, so the unique index can be built.
 * The delivery log also takes attempts that belong to no order: a merchant's test `ping`.
 */
export class NotificationPerOutcome1795325000000 implements MigrationInterface {
    name = 'NotificationPerOutcome1795325000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`WITH later AS (
            SELECT event_id FROM (SELECT event_id, row_number() OVER (PARTITION BY order_id, event_type ORDER BY created_at, event_id) AS n FROM "notifications") ranked
             WHERE n > 1),
          gone AS (DELETE FROM "deliveries" WHERE event_id IN (SELECT event_id FROM later))
          DELETE FROM "notifications" WHERE event_id IN (SELECT event_id FROM later)`);
        await queryRunner.query(`CREATE UNIQUE INDEX "notifications_order_outcome" ON "notifications" ("order_id", "event_type")`);
        await queryRunner.query(`ALTER TABLE "deliveries" ALTER COLUMN "order_id" DROP NOT NULL`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DELETE FROM "deliveries" WHERE "order_id" IS NULL`);
        await queryRunner.query(`ALTER TABLE "deliveries" ALTER COLUMN "order_id" SET NOT NULL`);
        await queryRunner.query(`DROP INDEX "public"."notifications_order_outcome"`);
    }

}
