import { MigrationInterface, QueryRunner } from "typeorm";

// Columns with constant defaults or none: adding them rewrites nothing, even on a busy table.
export class AdaptiveConcurrency1795344000000 implements MigrationInterface {
    name = 'AdaptiveConcurrency1795344000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "endpoints" ADD "concurrency_limit" real`);
        await queryRunner.query(`ALTER TABLE "endpoints" ADD "latency_floor_ms" real`);
        await queryRunner.query(`ALTER TABLE "endpoints" ADD "latency_floor_since" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`ALTER TABLE "endpoints" ADD "latencies" integer array NOT NULL DEFAULT '{}'`);
        await queryRunner.query(`ALTER TABLE "endpoints" ADD "waiting" jsonb NOT NULL DEFAULT '{}'`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "endpoints" DROP COLUMN "waiting"`);
        await queryRunner.query(`ALTER TABLE "endpoints" DROP COLUMN "latencies"`);
        await queryRunner.query(`ALTER TABLE "endpoints" DROP COLUMN "latency_floor_since"`);
        await queryRunner.query(`ALTER TABLE "endpoints" DROP COLUMN "latency_floor_ms"`);
        await queryRunner.query(`ALTER TABLE "endpoints" DROP COLUMN "concurrency_limit"`);
    }
}
