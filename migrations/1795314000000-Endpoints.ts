import { MigrationInterface, QueryRunner } from "typeorm";

export class Endpoints1795314000000 implements MigrationInterface {
    name = 'Endpoints1795314000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "endpoints" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "origin" text NOT NULL, "state" text NOT NULL DEFAULT 'ACTIVE', "disabled_reason" text, "success_rule" text, "last_success_at" TIMESTAMP WITH TIME ZONE, "last_failure_at" TIMESTAMP WITH TIME ZONE, "last_error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_endpoints_id" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "endpoints_origin" ON "endpoints" ("origin") `);
        await queryRunner.query(`ALTER TABLE "deliveries" ADD "endpoint_id" uuid`);
        await queryRunner.query(`CREATE INDEX "deliveries_endpoint" ON "deliveries" ("endpoint_id", "attempted_at") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."deliveries_endpoint"`);
        await queryRunner.query(`ALTER TABLE "deliveries" DROP COLUMN "endpoint_id"`);
        await queryRunner.query(`DROP INDEX "public"."endpoints_origin"`);
        await queryRunner.query(`DROP TABLE "endpoints"`);
    }

}
