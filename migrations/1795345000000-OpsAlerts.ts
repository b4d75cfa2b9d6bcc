import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Ops alerts (src/alerts): one row per change of state, unique by (kind, subject, episode), so
 * an alert is raised once however many processes see the change; a condition (a failure
 * spike, the outbox stalled) is `open` while it lasts, at most one per kind and subject. And
 * the failures of the last OPS_SPIKE_WINDOW, which spikes are counted from. Both tables are
 * new and small; the one index on `endpoints` (its states other than ACTIVE, for the
 * `backstop_endpoints` gauge) is built CONCURRENTLY, so no notification waits on it.
 */
export class OpsAlerts1795345000000 implements MigrationInterface {
    name = 'OpsAlerts1795345000000'
    transaction = false

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE IF NOT EXISTS "ops_alerts" (
            "id" uuid NOT NULL,
            "kind" text NOT NULL,
            "subject" text NOT NULL,
            "episode" text NOT NULL,
            "details" jsonb NOT NULL,
            "open" boolean NOT NULL DEFAULT false,
            "raised_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
            "ended_at" TIMESTAMP WITH TIME ZONE,
            "delivered_at" TIMESTAMP WITH TIME ZONE,
            "lease_until" TIMESTAMP WITH TIME ZONE,
            "attempts" integer NOT NULL DEFAULT 0,
            CONSTRAINT "PK_ops_alerts" PRIMARY KEY ("id"))`);
        // The state-change key: a second raise of the same change inserts nothing, and sends nothing.
        await queryRunner.query(`CREATE UNIQUE INDEX IF NOT EXISTS "ops_alerts_state_change" ON "ops_alerts" ("kind", "subject", "episode")`);
        // At most one open condition per kind and subject: a spike already under way is not raised again.
        await queryRunner.query(`CREATE UNIQUE INDEX IF NOT EXISTS "ops_alerts_open" ON "ops_alerts" ("kind", "subject") WHERE open`);
        // Retention, oldest first.
        await queryRunner.query(`CREATE INDEX IF NOT EXISTS "ops_alerts_raised_at" ON "ops_alerts" ("raised_at")`);
        await queryRunner.query(`CREATE TABLE IF NOT EXISTS "ops_alert_failures" (
            "handler" text NOT NULL,
            "message_id" text NOT NULL,
            "failure_group" text NOT NULL,
            "fingerprint" text NOT NULL,
            "endpoint" text,
            "error" text NOT NULL,
            "failed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
            CONSTRAINT "PK_ops_alert_failures" PRIMARY KEY ("handler", "message_id"))`);
        // The window's failures, for the check and for pruning what fell out of it.
        await queryRunner.query(`CREATE INDEX IF NOT EXISTS "ops_alert_failures_failed_at" ON "ops_alert_failures" ("failed_at")`);
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "endpoints_troubled" ON "endpoints" ("state") WHERE state <> 'ACTIVE'`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."endpoints_troubled"`);
        await queryRunner.query(`DROP TABLE IF EXISTS "ops_alert_failures"`);
        await queryRunner.query(`DROP TABLE IF EXISTS "ops_alerts"`);
    }
}
