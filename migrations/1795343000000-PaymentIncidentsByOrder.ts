import { MigrationInterface, QueryRunner } from "typeorm";

export class PaymentIncidentsByOrder1795343000000 implements MigrationInterface {
    name = 'PaymentIncidentsByOrder1795343000000'
    // An order's payment incidents, for its timeline (GET /admin/orders/:id/timeline). Built
    // CONCURRENTLY, outside a transaction, so the payments that record incidents are never
    // blocked while it builds; an index left invalid by a build cut short is built again.
    transaction = false

    public async up(queryRunner: QueryRunner): Promise<void> {
        const invalid = await queryRunner.query(`SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('payment_incidents_order') AND NOT indisvalid`);
        if (invalid.length > 0) await queryRunner.query(`DROP INDEX CONCURRENTLY "payment_incidents_order"`);
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "payment_incidents_order" ON "payment_incidents" ("order_id", "received_at")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "public"."payment_incidents_order"`);
    }

}
