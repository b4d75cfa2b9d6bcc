import { MigrationInterface, QueryRunner } from "typeorm";

export class Payments1795238546992 implements MigrationInterface {
    name = 'Payments1795238546992'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "sandbox_charges" ("order_id" uuid NOT NULL, "scenario" text NOT NULL DEFAULT 'PAY', "status" text, "trade_no" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_4f61992186aca7eb995c5b03a2c" PRIMARY KEY ("order_id"))`);
        await queryRunner.query(`CREATE TABLE "payment_incidents" ("id" BIGSERIAL NOT NULL, "order_id" uuid NOT NULL, "trade_no" text NOT NULL, "amount" bigint NOT NULL, "order_status" text NOT NULL, "source" text NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6e248842013c12608211128cfea" PRIMARY KEY ("id"))`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "payment_incidents"`);
        await queryRunner.query(`DROP TABLE "sandbox_charges"`);
    }

}
