import { Injectable } from '@nestjs/common';
import { DeliveriesRepository, sincePlaced } from './deliveries.repository';
import { NotificationRecord, OrderNotificationsRepository } from './order-notifications.repository';

export type { NotificationRecord } from './order-notifications.repository';

/** One attempt to tell the merchant, as the delivery log has it; `delivered: null` while its outcome is unknown. */
export interface AttemptRecord {
  id: string;
  eventId: string;
  attempt: number;
  attemptedAt: Date;
  url: string;
  endpointId: string | null;
  httpStatus: number | null;
  durationMs: number | null;
  delivered: boolean | null;
  error: string | null;
  responseSnippet: string | null;
}

const NOTIFICATIONS = 20;

/** What notify knows of one order, for ops' order timeline: its notifications per outcome and the newest attempts. */
@Injectable()
export class OrderNotifications {
  constructor(
    private readonly notifications: OrderNotificationsRepository,
    private readonly deliveries: DeliveriesRepository,
  ) {}

  /** The notifications, oldest first, and the newest `attemptLimit` attempts, oldest first; `attemptsCut` when there were more. `placedAt`: the order's. */
  async of(orderId: string, placedAt: Date, attemptLimit: number): Promise<{ notifications: NotificationRecord[]; attempts: AttemptRecord[]; attemptsCut: boolean }> {
    const [notifications, newest] = await Promise.all([
      this.notifications.ofOrder(orderId, NOTIFICATIONS),
      this.deliveries.page(sincePlaced({ orderId }, placedAt), undefined, attemptLimit + 1),
    ]);
    const attempts = newest.slice(0, attemptLimit).reverse().map(
      (row): AttemptRecord => ({
        id: row.id,
        eventId: row.eventId,
        attempt: row.attempt,
        attemptedAt: row.attemptedAt,
        url: row.url,
        endpointId: row.endpointId,
        httpStatus: row.httpStatus,
        durationMs: row.durationMs,
        delivered: row.delivered,
        error: row.error,
        responseSnippet: row.responseSnippet,
      }),
    );
    return { notifications, attempts, attemptsCut: newest.length > attemptLimit };
  }
}
