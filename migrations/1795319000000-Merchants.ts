import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The merchant registry and the ops audit trail. A merchant's secrets are stored only
 * encrypted (`v1:<key id>:<base64>`, AES-256-GCM under SECRETS_KEY): a copy of the database
 * alone reveals none. The previous secret lives until `previous_expires_at`, for a rotation's grace.
 */
export class Merchants1795319000000 implements MigrationInterface {
    name = 'Merchants1795319000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "merchants" ("id" text NOT NULL, "name" text NOT NULL, "notify_origins" text array, "events" text array NOT NULL DEFAULT '{order.paid,order.rejected,order.cancelled}', "success_rule" text, "secret_encrypted" text NOT NULL, "secret_rotated_at" TIMESTAMP WITH TIME ZONE, "previous_secret_encrypted" text, "previous_expires_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "merchants_pkey" PRIMARY KEY ("id"), CONSTRAINT "merchants_success_rule" CHECK ("success_rule" IN ('body', '2xx')), CONSTRAINT "merchants_events" CHECK ("events" <@ ARRAY['order.paid', 'order.rejected', 'order.cancelled']::text[]), CONSTRAINT "merchants_previous_secret" CHECK (("previous_secret_encrypted" IS NULL) = ("previous_expires_at" IS NULL)))`);
        await queryRunner.query(`CREATE TABLE "ops_actions" ("id" BIGSERIAL NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "actor" text NOT NULL, "action" text NOT NULL, "subject_type" text NOT NULL, "subject_id" text NOT NULL, "detail" jsonb, CONSTRAINT "ops_actions_pkey" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ops_actions_subject" ON "ops_actions" ("subject_type", "subject_id", "at") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ops_actions_subject"`);
        await queryRunner.query(`DROP TABLE "ops_actions"`);
        await queryRunner.query(`DROP TABLE "merchants"`);
    }

}
