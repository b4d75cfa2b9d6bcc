import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The HTTP request an ops action came with (its x-request-id), so an action in the audit trail
 * leads to that request's log lines. Null for actions recorded before this column, or outside a
 * request. A nullable column without a default: added without rewriting the table.
 */
export class OpsActionRequestId1795341000000 implements MigrationInterface {
    name = 'OpsActionRequestId1795341000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "ops_actions" ADD "request_id" text`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "ops_actions" DROP COLUMN "request_id"`);
    }
}
