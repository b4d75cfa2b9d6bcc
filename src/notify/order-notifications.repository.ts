import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';
import { Statement } from '../database/sql';
import type { NotificationState } from './notification.entity';

/** One notification of an order (one per outcome), as ops read it. */
export interface NotificationRecord {
  eventId: string;
  eventType: string;
  state: NotificationState;
  attempts: number;
  createdAt: Date;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
}

/** By notifications_order (order_id, created_at): an order has one per outcome, so a handful at most. */
const notificationsOfOrder = new Statement<NotificationRecord>(
  'notify notifications of order',
  `SELECT event_id AS "eventId", event_type AS "eventType", state, attempts, created_at AS "createdAt",
          last_attempt_at AS "lastAttemptAt", next_attempt_at AS "nextAttemptAt", delivered_at AS "deliveredAt"
     FROM notifications WHERE order_id = $1 ORDER BY created_at LIMIT $2`,
);

/** An order's notifications for ops (its timeline); sending them is NotificationsRepository's. */
@Injectable()
export class OrderNotificationsRepository {
  constructor(private readonly db: Db) {}

  ofOrder(orderId: string, limit: number): Promise<NotificationRecord[]> {
    return this.db.run(notificationsOfOrder, [orderId, limit]);
  }
}
