import type { LatestNotification } from './orders.repository';

/** Where the latest notification of an order stands, as `GET /orders/:id` shows it to the merchant. */
export interface NotificationStatus {
  state: 'NONE' | 'PENDING' | 'DELIVERED' | 'FAILED' | 'NOT_SUBSCRIBED';
  attempts: number;
  lastAttemptAt?: string;
  nextAttemptAt?: string;
}

export function notificationStatusOf(latest: LatestNotification | null): NotificationStatus {
  if (!latest) return { state: 'NONE', attempts: 0 };
  return {
    state: latest.state as NotificationStatus['state'],
    attempts: latest.attempts,
    ...(latest.last_attempt_at ? { lastAttemptAt: new Date(latest.last_attempt_at).toISOString() } : {}),
    ...(latest.next_attempt_at && latest.state === 'PENDING' ? { nextAttemptAt: new Date(latest.next_attempt_at).toISOString() } : {}),
  };
}
