import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The `processed_messages` table `once` writes to, as `sql/processed_messages.sql` of this
 * package has it and as backstop's own schema does: the same columns, primary key (with the
 * constraint name TypeORM gives the `ProcessedMessage` entity, so a generated migration
 * finds nothing to change) and index. `IF NOT EXISTS`: a service whose table already exists
 * (made by `synchronize`, or by hand from the SQL file) can add this migration as it is.
 */
export const PROCESSED_MESSAGES_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS "processed_messages" ("handler" text NOT NULL, "message_id" uuid NOT NULL, "processed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_9f042159a7d626ae3e83ff4cdaa" PRIMARY KEY ("handler", "message_id"))`,
  `CREATE INDEX IF NOT EXISTS "processed_messages_processed_at" ON "processed_messages" ("processed_at")`,
];

/**
 * Creates `processed_messages`; put it in the service's TypeORM `migrations`, next to its own:
 * `migrations: [CreateProcessedMessages1700000000000, ...]`.
 */
export class CreateProcessedMessages1700000000000 implements MigrationInterface {
  name = 'CreateProcessedMessages1700000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of PROCESSED_MESSAGES_DDL) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS "processed_messages"`);
  }
}
