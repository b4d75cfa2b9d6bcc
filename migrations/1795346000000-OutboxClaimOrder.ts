import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The relay's claim reads READY rows in `outbox_created_at` order and stops at its batch. The
 * index on `next_attempt_at` let the planner, whenever its statistics predated a backlog (after
 * a broker outage, before autovacuum's next analyze), read every due row through it instead and
 * sort them: 57 ms and an external merge sort for each batch of 200 out of 50,000, the drain
 * paced by it. Without it the claim's lease is also a HOT update, adding no index entries.
 * Dropped CONCURRENTLY: writers of the outbox never wait on it.
 */
export class OutboxClaimOrder1795346000000 implements MigrationInterface {
    name = 'OutboxClaimOrder1795346000000'
    transaction = false

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "outbox_ready_due"`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "outbox_ready_due" ON "outbox" ("next_attempt_at") WHERE state = 'READY'`);
    }
}
