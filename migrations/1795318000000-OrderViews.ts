import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The orders module's read model for `GET /orders/:id`: the order, its items, whether a
 * charge is under way (the coordinator's PREPARE row of kind 'payment', keyed by order id)
 * and its latest notification (notify's). A read that spans three modules' tables, defined
 * once here rather than pasted across modules; PostgreSQL inlines it, so reading one order
 * through it is the single index lookup it was.
 */
export class OrderViews1795318000000 implements MigrationInterface {
    name = 'OrderViews1795318000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE VIEW "order_views" AS
            SELECT o.id, o.merchant_id, o.status, o.total_amount, o.currency, o.notify_url, o.reason, o.trade_no, o.paid_at,
                   o.created_at, o.idempotency_key, o.request_fingerprint,
                   coalesce((SELECT json_agg(json_build_object('sku', i.sku, 'quantity', i.quantity, 'unitPrice', i.unit_price) ORDER BY i.sku)
                               FROM order_items i WHERE i.order_id = o.id), '[]') AS items,
                   EXISTS (SELECT 1 FROM outbox p WHERE p.state = 'PREPARE' AND p.kind = 'payment' AND p.check_back_id = o.id::text) AS paying,
                   (SELECT json_build_object('state', n.state, 'attempts', n.attempts, 'last_attempt_at', n.last_attempt_at, 'next_attempt_at', n.next_attempt_at)
                      FROM notifications n WHERE n.order_id = o.id ORDER BY n.created_at DESC LIMIT 1) AS notification
              FROM orders o`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP VIEW "order_views"`);
    }

}
