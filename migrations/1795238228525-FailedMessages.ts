import { MigrationInterface, QueryRunner } from "typeorm";

export class FailedMessages1795238228525 implements MigrationInterface {
    name = 'FailedMessages1795238228525'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "failed_messages" ("id" uuid NOT NULL, "handler" text NOT NULL, "queue" text NOT NULL, "message_id" text NOT NULL, "routing_key" text, "payload" text NOT NULL, "headers" jsonb NOT NULL, "error" text NOT NULL, "errors" jsonb NOT NULL, "attempts" integer NOT NULL, "status" text NOT NULL, "poison" boolean NOT NULL DEFAULT false, "sweep_count" integer NOT NULL DEFAULT '0', "first_failed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_failed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "next_sweep_at" TIMESTAMP WITH TIME ZONE, "resolved_at" TIMESTAMP WITH TIME ZONE, "discard_reason" text, CONSTRAINT "PK_3a568048d2ad493a1411afdcc22" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "failed_messages_listing" ON "failed_messages" ("first_failed_at", "id") `);
        await queryRunner.query(`CREATE INDEX "failed_messages_due" ON "failed_messages" ("next_sweep_at") WHERE status = 'FAILED' AND next_sweep_at IS NOT NULL`);
        await queryRunner.query(`CREATE UNIQUE INDEX "failed_messages_handler_message" ON "failed_messages" ("handler", "message_id") `);
        await queryRunner.query(`CREATE TABLE "failed_message_actions" ("id" BIGSERIAL NOT NULL, "failed_message_id" uuid NOT NULL, "action" text NOT NULL, "actor" text NOT NULL, "reason" text, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_dcc25f491b9758de22b5bda3566" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "failed_message_actions_message" ON "failed_message_actions" ("failed_message_id", "at") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."failed_message_actions_message"`);
        await queryRunner.query(`DROP TABLE "failed_message_actions"`);
        await queryRunner.query(`DROP INDEX "public"."failed_messages_handler_message"`);
        await queryRunner.query(`DROP INDEX "public"."failed_messages_due"`);
        await queryRunner.query(`DROP INDEX "public"."failed_messages_listing"`);
        await queryRunner.query(`DROP TABLE "failed_messages"`);
    }

}
