import { MigrationInterface, QueryRunner } from "typeorm";

export class EndpointCircuit1795315000000 implements MigrationInterface {
    name = 'EndpointCircuit1795315000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "endpoints" ADD "opened_at" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`ALTER TABLE "endpoints" ADD "probe_at" TIMESTAMP WITH TIME ZONE`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`UPDATE "endpoints" SET "state" = 'ACTIVE' WHERE "state" IN ('OPEN', 'HALF_OPEN')`);
        await queryRunner.query(`ALTER TABLE "endpoints" DROP COLUMN "probe_at"`);
        await queryRunner.query(`ALTER TABLE "endpoints" DROP COLUMN "opened_at"`);
    }

}
