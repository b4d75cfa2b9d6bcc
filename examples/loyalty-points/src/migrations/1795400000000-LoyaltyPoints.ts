import { MigrationInterface, QueryRunner } from 'typeorm';

/** The service's own tables; `processed_messages` comes from @backstop/transport's CreateProcessedMessages migration. */
export class LoyaltyPoints1795400000000 implements MigrationInterface {
  name = 'LoyaltyPoints1795400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "point_rates" ("currency" text NOT NULL, "points_per_hundred" integer NOT NULL, CONSTRAINT "PK_point_rates" PRIMARY KEY ("currency"))`);
    await queryRunner.query(
      `CREATE TABLE "points_entries" ("id" BIGSERIAL NOT NULL, "order_id" uuid NOT NULL, "trade_no" text NOT NULL, "points" integer NOT NULL, "awarded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_points_entries" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "points_entries_order" ON "points_entries" ("order_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "points_entries"`);
    await queryRunner.query(`DROP TABLE "point_rates"`);
  }
}
