import { MigrationInterface, QueryRunner } from "typeorm";

// Small batches, each a short transaction of its own (an error keeps the top of its stack, a few hundred bytes).
const BACKFILL_BATCH = 500;
// RERUN_LEASE's default: a row already RETRYING gets the lease a re-run starting now would.
const DEFAULT_RERUN_LEASE = '15 minutes';

type FailureGroupOf = (handler: string, error: string, endpoint?: string | null) => { key: string; fingerprint: string; endpoint: string | null };

/**
 * The app's own pure function, so old rows are grouped exactly as FailureRecorder groups new
 * ones. A migration is compiled apart from src (its rootDir), so it is required at run time:
 * compiled, it sits in dist beside dist/migrations; under ts-jest it is read from source, as
 * data-source-options.ts finds the migrations themselves.
 */
function failureGroupOf(): FailureGroupOf {
    const path = __filename.endsWith('.ts') ? '../src/compensation/failed-messages/failure-group' : '../compensation/failed-messages/failure-group';
    return (require(path) as { failureGroupOf: FailureGroupOf }).failureGroupOf;
}

/**
 * Failure groups (a fingerprint of each row's error, its endpoint and the group's key), the
 * lease of a re-run (`rerun_expires_at`: a RETRYING row whose re-run never reports back is
 * FAILED again once it runs out), and substring search: trigram indexes over message ids,
 * order ids and errors.
 */
export class FailureGroupsAndSearch1795342000000 implements MigrationInterface {
    name = 'FailureGroupsAndSearch1795342000000'
    // Indexes built CONCURRENTLY and a backfill in batches, outside a transaction, as in
    // AdminQueryIndexes: failed_messages is large, and no writer may wait on this.
    transaction = false

    public async up(queryRunner: QueryRunner): Promise<void> {
        // Nullable with no default: adding them rewrites nothing.
        await queryRunner.query(`ALTER TABLE "failed_messages" ADD COLUMN IF NOT EXISTS "fingerprint" text`);
        await queryRunner.query(`ALTER TABLE "failed_messages" ADD COLUMN IF NOT EXISTS "endpoint" text`);
        await queryRunner.query(`ALTER TABLE "failed_messages" ADD COLUMN IF NOT EXISTS "failure_group" text`);
        await queryRunner.query(`ALTER TABLE "failed_messages" ADD COLUMN IF NOT EXISTS "rerun_expires_at" timestamptz`);
        await queryRunner.query(
            `UPDATE "failed_messages" SET rerun_expires_at = now() + interval '${DEFAULT_RERUN_LEASE}' WHERE status = 'RETRYING' AND rerun_expires_at IS NULL`,
        );
        await this.backfillGroups(queryRunner);

        await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
        // Groups by status and key: counted from the index alone, a group's newest rows read first,
        // its poison apart (a retry skips it, and says how many, by the index).
        await queryRunner.query(
            `CREATE INDEX CONCURRENTLY IF NOT EXISTS "failed_messages_groups" ON "failed_messages"
               ("status", "failure_group", "poison", "last_failed_at" DESC, "id" DESC) INCLUDE ("first_failed_at")`,
        );
        // Poison is a few rows: "retry all that match" counts what it skips from them.
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "failed_messages_poison" ON "failed_messages" ("status", "handler") WHERE poison`);
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "failed_messages_rerun_expiry" ON "failed_messages" ("rerun_expires_at") WHERE status = 'RETRYING'`);
        // q= finds a part of a message id, an order id or the error: trigrams, which serve LIKE and ILIKE '%…%'.
        // Of the error, its first line (kind and message): the stack summary under it is file
        // paths, which nobody searches and which would more than double the index and its writes.
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "failed_messages_message_trgm" ON "failed_messages" USING gin ("message_id" gin_trgm_ops)`);
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "failed_messages_order_trgm" ON "failed_messages" USING gin (("order_id"::text) gin_trgm_ops)`);
        await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "failed_messages_error_trgm" ON "failed_messages" USING gin ((split_part("error", chr(10), 1)) gin_trgm_ops)`);
    }

    /** By id, a batch at a time; a row recorded meanwhile has its group from FailureRecorder already. */
    private async backfillGroups(queryRunner: QueryRunner): Promise<void> {
        const groupOf = failureGroupOf();
        let after = '00000000-0000-0000-0000-000000000000';
        for (;;) {
            const rows: { id: string; handler: string; error: string }[] = await queryRunner.query(
                `SELECT id, handler, error FROM "failed_messages" WHERE id > $1 AND failure_group IS NULL ORDER BY id LIMIT $2`,
                [after, BACKFILL_BATCH],
            );
            if (rows.length === 0) return;
            const groups = rows.map((row) => groupOf(row.handler, row.error));
            await queryRunner.query(
                `UPDATE "failed_messages" f SET fingerprint = grouped.fingerprint, endpoint = grouped.endpoint, failure_group = grouped.key
                   FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS grouped (id, fingerprint, endpoint, key)
                  WHERE f.id = grouped.id AND f.failure_group IS NULL`,
                [rows.map((row) => row.id), groups.map((group) => group.fingerprint), groups.map((group) => group.endpoint), groups.map((group) => group.key)],
            );
            after = rows[rows.length - 1].id;
        }
    }

    // Plain DROP INDEX: quick, and `migration:revert` runs down() in a transaction whatever `transaction` says.
    // pg_trgm stays: another schema object may use it by then.
    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."failed_messages_error_trgm"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."failed_messages_order_trgm"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."failed_messages_message_trgm"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."failed_messages_rerun_expiry"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."failed_messages_poison"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."failed_messages_groups"`);
        await queryRunner.query(`ALTER TABLE "failed_messages" DROP COLUMN IF EXISTS "rerun_expires_at"`);
        await queryRunner.query(`ALTER TABLE "failed_messages" DROP COLUMN IF EXISTS "failure_group"`);
        await queryRunner.query(`ALTER TABLE "failed_messages" DROP COLUMN IF EXISTS "endpoint"`);
        await queryRunner.query(`ALTER TABLE "failed_messages" DROP COLUMN IF EXISTS "fingerprint"`);
    }

}
