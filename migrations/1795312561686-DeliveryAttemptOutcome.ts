import { MigrationInterface, QueryRunner } from "typeorm";

export class DeliveryAttemptOutcome1795312561686 implements MigrationInterface {
    name = 'DeliveryAttemptOutcome1795312561686'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "notifications" DROP COLUMN "lease_attempt"`);
        await queryRunner.query(`ALTER TABLE "deliveries" ADD "response_snippet" text`);
        await queryRunner.query(`ALTER TABLE "deliveries" ALTER COLUMN "duration_ms" DROP NOT NULL`);
        await queryRunner.query(`ALTER TABLE "deliveries" ALTER COLUMN "delivered" DROP NOT NULL`);
    }

    // The old schema has no unknown outcome: an attempt that never completed reads as failed.
    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`UPDATE "deliveries" SET "delivered" = false, "duration_ms" = COALESCE("duration_ms", 0), "error" = COALESCE("error", 'outcome unknown') WHERE "delivered" IS NULL`);
        await queryRunner.query(`ALTER TABLE "deliveries" ALTER COLUMN "delivered" SET NOT NULL`);
        await queryRunner.query(`ALTER TABLE "deliveries" ALTER COLUMN "duration_ms" SET NOT NULL`);
        await queryRunner.query(`ALTER TABLE "deliveries" DROP COLUMN "response_snippet"`);
        await queryRunner.query(`ALTER TABLE "notifications" ADD "lease_attempt" integer`);
    }

}
