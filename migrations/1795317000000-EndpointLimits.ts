import { MigrationInterface, QueryRunner } from "typeorm";

export class EndpointLimits1795317000000 implements MigrationInterface {
    name = 'EndpointLimits1795317000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "endpoints" ADD "concurrency" integer`);
        await queryRunner.query(`ALTER TABLE "endpoints" ADD "rate_limit" integer`);
        await queryRunner.query(`ALTER TABLE "endpoints" ADD "in_flight" jsonb NOT NULL DEFAULT '{}'`);
        await queryRunner.query(`ALTER TABLE "endpoints" ADD "recent_sends" TIMESTAMP WITH TIME ZONE array NOT NULL DEFAULT '{}'`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "endpoints" DROP COLUMN "recent_sends"`);
        await queryRunner.query(`ALTER TABLE "endpoints" DROP COLUMN "in_flight"`);
        await queryRunner.query(`ALTER TABLE "endpoints" DROP COLUMN "rate_limit"`);
        await queryRunner.query(`ALTER TABLE "endpoints" DROP COLUMN "concurrency"`);
    }

}
