import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A reservation is sent with its transaction's COMMIT, in the same round trip, so that a hot
 * SKU's row stays locked only while PostgreSQL runs those statements, never while the
 * platform reads the answer and sends the next. Plain SQL cannot fail a statement, so this
 * function does it when the reservation did not take every item: the whole transaction
 * rolls back, and the stock module reserves step by step to say why (SQLSTATE BS001).
 */
export class StockReservationRefused1795347000000 implements MigrationInterface {
    name = 'StockReservationRefused1795347000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE OR REPLACE FUNCTION "stock_reservation_refused"("order_id" uuid) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
            BEGIN
              RAISE EXCEPTION 'the stock of order % was not all taken with the commit', "order_id" USING ERRCODE = 'BS001';
            END $$`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP FUNCTION IF EXISTS "stock_reservation_refused"(uuid)`);
    }
}
