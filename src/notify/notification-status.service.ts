import { Injectable } from '@nestjs/common';
import type { NotificationState } from './notification.entity';

export interface NotificationStatus {
  state: 'NONE' | NotificationState;
  attempts: number;
  lastAttemptAt?: string;
  nextAttemptAt?: string;
}

interface LatestNotification {
  state: NotificationState;
  attempts: number;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
}

/** The merchant view of `GET /orders/:id`: where the latest notification of an order stands. */
@Injectable()
export class NotificationStatusService {
  /**
   * An SQL expression for the latest notification of the order `orderId` (an SQL expression
   * too), as one json value or NULL, so a caller can read it in the statement that reads
   * the order; `fromJson` turns it into the status.
   */
  latestSql(orderId: string): string {
    return `(SELECT json_build_object('state', n.state, 'attempts', n.attempts, 'last_attempt_at', n.last_attempt_at, 'next_attempt_at', n.next_attempt_at)
               FROM notifications n WHERE n.order_id = ${orderId} ORDER BY n.created_at DESC LIMIT 1)`;
  }

  fromJson(latest: LatestNotification | null): NotificationStatus {
    if (!latest) return { state: 'NONE', attempts: 0 };
    return {
      state: latest.state,
      attempts: latest.attempts,
      ...(latest.last_attempt_at ? { lastAttemptAt: new Date(latest.last_attempt_at).toISOString() } : {}),
      ...(latest.next_attempt_at && latest.state === 'PENDING' ? { nextAttemptAt: new Date(latest.next_attempt_at).toISOString() } : {}),
    };
  }
}
