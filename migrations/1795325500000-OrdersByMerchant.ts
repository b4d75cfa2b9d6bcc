import { MigrationInterface, QueryRunner } from "typeorm";

export class OrdersByMerchant1795325500000 implements MigrationInterface {
    name = 'OrdersByMerchant1795325500000'
    // A merchant's latest order (where a test `ping` goes when ops give no URL). Built
    // CONCURRENTLY, outside a transaction: orders is hot and large, and a plain CREATE INDEX
    // would block every new order while it builds. IF NOT EXISTS, so a cut-short run can run again.
    transaction = false

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "orders_merchant_created" ON "orders" ("merchant_id", "created_at")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."orders_merchant_created"`);
    }

}
