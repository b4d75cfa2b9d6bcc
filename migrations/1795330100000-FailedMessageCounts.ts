import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * failed_messages counted by status as rows change, so the ops summary and /metrics read a few
 * rows instead of counting every closed row on each refresh. Kept by statement triggers over
 * the transition tables: every writer (recording, re-runs, discards, retention's deletes) is
 * counted, one grouped write per statement. Each connection adds to its own shard of the
 * counts, so writers on different connections do not wait on one counter row.
 */
export class FailedMessageCounts1795330100000 implements MigrationInterface {
    name = 'FailedMessageCounts1795330100000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "failed_message_counts" ("status" text NOT NULL, "shard" integer NOT NULL, "count" bigint NOT NULL, CONSTRAINT "PK_failed_message_counts" PRIMARY KEY ("status", "shard"))`);
        // One function for the three triggers: PL/pgSQL plans a branch when it first runs it, so
        // each reads only the transition tables its trigger has. Statuses in order, so two
        // statements that change several never take the same counter rows in opposite orders.
        await queryRunner.query(`CREATE FUNCTION "failed_message_counts_apply"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO failed_message_counts (status, shard, count)
      SELECT status, pg_backend_pid() % 8, count(*) FROM new_rows GROUP BY status ORDER BY status
    ON CONFLICT (status, shard) DO UPDATE SET count = failed_message_counts.count + EXCLUDED.count;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO failed_message_counts (status, shard, count)
      SELECT status, pg_backend_pid() % 8, sum(change)
        FROM (SELECT status, 1 AS change FROM new_rows UNION ALL SELECT status, -1 FROM old_rows) AS changed
       GROUP BY status HAVING sum(change) <> 0 ORDER BY status
    ON CONFLICT (status, shard) DO UPDATE SET count = failed_message_counts.count + EXCLUDED.count;
  ELSE
    INSERT INTO failed_message_counts (status, shard, count)
      SELECT status, pg_backend_pid() % 8, -count(*) FROM old_rows GROUP BY status ORDER BY status
    ON CONFLICT (status, shard) DO UPDATE SET count = failed_message_counts.count + EXCLUDED.count;
  END IF;
  RETURN NULL;
END $$`);
        // No write between the first count and the triggers: it would be counted twice or not at all.
        await queryRunner.query(`LOCK TABLE "failed_messages" IN SHARE ROW EXCLUSIVE MODE`);
        await queryRunner.query(`CREATE TRIGGER "failed_message_counts_insert" AFTER INSERT ON "failed_messages" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "failed_message_counts_apply"()`);
        await queryRunner.query(`CREATE TRIGGER "failed_message_counts_update" AFTER UPDATE ON "failed_messages" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "failed_message_counts_apply"()`);
        await queryRunner.query(`CREATE TRIGGER "failed_message_counts_delete" AFTER DELETE ON "failed_messages" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "failed_message_counts_apply"()`);
        await queryRunner.query(`INSERT INTO "failed_message_counts" (status, shard, count) SELECT status, 0, count(*) FROM "failed_messages" GROUP BY status`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER IF EXISTS "failed_message_counts_delete" ON "failed_messages"`);
        await queryRunner.query(`DROP TRIGGER IF EXISTS "failed_message_counts_update" ON "failed_messages"`);
        await queryRunner.query(`DROP TRIGGER IF EXISTS "failed_message_counts_insert" ON "failed_messages"`);
        await queryRunner.query(`DROP FUNCTION IF EXISTS "failed_message_counts_apply"()`);
        await queryRunner.query(`DROP TABLE IF EXISTS "failed_message_counts"`);
    }

}
