import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Some order moves are sent with the event they cause, in one round trip: a payment callback
 * for an order this process placed (the move to PAID and its `order.paid`), and the stock
 * module's "reserved" (the move to CONFIRMED, with the commit). Plain SQL cannot fail a
 * statement, so this function does it when the order did not move (not in the state, or not
 * for the amount and currency, the move expected): the whole transaction rolls back, and the
 * platform goes step by step to say why (SQLSTATE BS002).
 */
export class OrderMoveRefused1795348000000 implements MigrationInterface {
    name = 'OrderMoveRefused1795348000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE OR REPLACE FUNCTION "order_move_refused"("order_id" uuid) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
            BEGIN
              RAISE EXCEPTION 'order % did not move', "order_id" USING ERRCODE = 'BS002';
            END $$`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP FUNCTION IF EXISTS "order_move_refused"(uuid)`);
    }
}
