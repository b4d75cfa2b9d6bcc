import { MigrationInterface, QueryRunner } from "typeorm";

export class Initial1795237836519 implements MigrationInterface {
    name = 'Initial1795237836519'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "stock_reservations" ("order_id" uuid NOT NULL, "state" text NOT NULL, "items" jsonb NOT NULL, "reserved_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "released_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_d904f70cd085fa7af754778fcb2" PRIMARY KEY ("order_id"))`);
        await queryRunner.query(`CREATE TABLE "stock" ("sku" text NOT NULL, "available" integer NOT NULL, "unit_price" bigint NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e1b4a2b9011bc3d2598256448c6" PRIMARY KEY ("sku"))`);
        await queryRunner.query(`CREATE TABLE "order_items" ("order_id" uuid NOT NULL, "sku" text NOT NULL, "quantity" integer NOT NULL, "unit_price" bigint NOT NULL, CONSTRAINT "PK_aa8719014ee25a49a9be46f6e2c" PRIMARY KEY ("order_id", "sku"))`);
        await queryRunner.query(`CREATE TABLE "orders" ("id" uuid NOT NULL, "merchant_id" text NOT NULL, "status" text NOT NULL, "total_amount" bigint NOT NULL, "currency" text NOT NULL, "notify_url" text NOT NULL, "reason" text, "trade_no" text, "paid_at" TIMESTAMP WITH TIME ZONE, "idempotency_key" text, "request_fingerprint" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_710e2d4957aa5878dfe94e4ac2f" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "orders_idempotency_key" ON "orders" ("idempotency_key") WHERE idempotency_key IS NOT NULL`);
        await queryRunner.query(`CREATE TABLE "notifications" ("event_id" uuid NOT NULL, "order_id" uuid NOT NULL, "event_type" text NOT NULL, "state" text NOT NULL, "attempts" integer NOT NULL DEFAULT '0', "last_attempt_at" TIMESTAMP WITH TIME ZONE, "next_attempt_at" TIMESTAMP WITH TIME ZONE, "delivered_at" TIMESTAMP WITH TIME ZONE, "lease_until" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6e28bd266f2b68f73f1a5d7a462" PRIMARY KEY ("event_id"))`);
        await queryRunner.query(`CREATE INDEX "notifications_order" ON "notifications" ("order_id", "created_at") `);
        await queryRunner.query(`CREATE TABLE "deliveries" ("id" BIGSERIAL NOT NULL, "event_id" uuid NOT NULL, "order_id" uuid NOT NULL, "attempt" integer NOT NULL, "url" text NOT NULL, "http_status" integer, "duration_ms" integer NOT NULL, "delivered" boolean NOT NULL, "error" text, "attempted_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_a6ef225c5c5f0974e503bfb731f" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "deliveries_order" ON "deliveries" ("order_id", "attempted_at") `);
        await queryRunner.query(`CREATE TABLE "outbox" ("id" uuid NOT NULL, "state" text NOT NULL, "routing_key" text, "envelope" jsonb, "kind" text, "check_back_id" text, "attempts" integer NOT NULL DEFAULT '0', "last_error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_340ab539f309f03bdaa14aa7649" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "outbox_prepare_check_back" ON "outbox" ("kind", "check_back_id") WHERE state = 'PREPARE'`);
        await queryRunner.query(`CREATE INDEX "outbox_ready_due" ON "outbox" ("next_attempt_at") WHERE state = 'READY'`);
        await queryRunner.query(`CREATE TABLE "processed_messages" ("handler" text NOT NULL, "message_id" uuid NOT NULL, "processed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_9f042159a7d626ae3e83ff4cdaa" PRIMARY KEY ("handler", "message_id"))`);
        await queryRunner.query(`ALTER TABLE "order_items" ADD CONSTRAINT "FK_145532db85752b29c57d2b7b1f1" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "order_items" DROP CONSTRAINT "FK_145532db85752b29c57d2b7b1f1"`);
        await queryRunner.query(`DROP TABLE "processed_messages"`);
        await queryRunner.query(`DROP INDEX "public"."outbox_ready_due"`);
        await queryRunner.query(`DROP INDEX "public"."outbox_prepare_check_back"`);
        await queryRunner.query(`DROP TABLE "outbox"`);
        await queryRunner.query(`DROP INDEX "public"."deliveries_order"`);
        await queryRunner.query(`DROP TABLE "deliveries"`);
        await queryRunner.query(`DROP INDEX "public"."notifications_order"`);
        await queryRunner.query(`DROP TABLE "notifications"`);
        await queryRunner.query(`DROP INDEX "public"."orders_idempotency_key"`);
        await queryRunner.query(`DROP TABLE "orders"`);
        await queryRunner.query(`DROP TABLE "order_items"`);
        await queryRunner.query(`DROP TABLE "stock"`);
        await queryRunner.query(`DROP TABLE "stock_reservations"`);
    }

}
