import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';
import { Statement } from '../database/sql';
import type { EndpointState, SuccessRule } from './endpoint.entity';
import type { LoggedOutcome } from './notification-sender';
import type { DeliveryRef } from './notifications.repository';

/** A notification taken for a resend, or why it could not be. */
export interface ResendClaim {
  order_id: string;
  event_type: string;
  attempts: number;
}

/** The endpoint of an origin, made on first use, as every notification's claim makes it. */
const endpointOf = new Statement<{ id: string; state: EndpointState; success_rule: SuccessRule | null }>(
  'notify endpoint of origin',
  `INSERT INTO endpoints (origin) VALUES ($1) ON CONFLICT (origin) DO UPDATE SET origin = excluded.origin
   RETURNING id, state, success_rule`,
);
/** An attempt in the delivery log before its request goes out, as every attempt is. */
const logAttempt = new Statement<{ id: string; attempted_at: string }>(
  'notify log manual attempt',
  `INSERT INTO deliveries (event_id, order_id, attempt, url, endpoint_id, attempted_at) VALUES ($1, $2, $3, $4, $5, now()) RETURNING id, attempted_at::text`,
);
/** By id and time, as NotificationsRepository's attempts: the log is partitioned by time (DeliveryRef). */
const completeAttempt = new Statement(
  'notify complete manual attempt',
  `UPDATE deliveries SET http_status = $2, duration_ms = $3, delivered = $4, error = $5, response_snippet = $6 WHERE id = $1 AND attempted_at = $7::timestamptz`,
);
/**
 * A delivered or failed notification ($1) leased for one more attempt ($2 ms): never beside
 * another attempt of it (a PENDING one is still on its schedule), never one not sent at all.
 */
const claimForResend = new Statement<ResendClaim>(
  'notify claim resend',
  `UPDATE notifications SET lease_until = now() + $2 * interval '1 millisecond'
    WHERE event_id = $1 AND state IN ('DELIVERED', 'FAILED') AND (lease_until IS NULL OR lease_until < now())
    RETURNING order_id, event_type, attempts`,
);
const notificationState = new Statement<{ state: string; leased: boolean }>(
  'notify notification state',
  `SELECT state, coalesce(lease_until > now(), false) AS leased FROM notifications WHERE event_id = $1`,
);
/** The resend's outcome on its notification: one attempt more, DELIVERED if it was, the lease given back. */
const recordResend = new Statement(
  'notify record resend',
  `UPDATE notifications SET attempts = attempts + 1, last_attempt_at = now(), lease_until = NULL,
          delivered_at = CASE WHEN $2 AND state <> 'DELIVERED' THEN now() ELSE delivered_at END,
          state = CASE WHEN $2 THEN 'DELIVERED' ELSE state END, next_attempt_at = NULL
    WHERE event_id = $1`,
);

/** What ops send by hand, a resend or a merchant's test event: the same delivery log as every attempt. */
@Injectable()
export class ManualSendsRepository {
  constructor(private readonly db: Db) {}

  async endpointOf(origin: string) {
    const [row] = await this.db.run(endpointOf, [origin]);
    return { id: row.id, state: row.state, successRule: row.success_rule };
  }

  /** `endpointId` null: a receiver of the platform's own (OwnReceiverSends), which is no merchant endpoint. */
  async logAttempt(attempt: { eventId: string; orderId: string | null; attempt: number; url: string; endpointId: string | null }): Promise<DeliveryRef> {
    const [row] = await this.db.run(logAttempt, [attempt.eventId, attempt.orderId, attempt.attempt, attempt.url, attempt.endpointId]);
    return { id: row.id, attemptedAt: row.attempted_at };
  }

  async completeAttempt(
    delivery: DeliveryRef,
    outcome: LoggedOutcome,
  ): Promise<void> {
    await this.db.run(completeAttempt, [delivery.id, outcome.httpStatus, outcome.durationMs, outcome.delivered, outcome.error, outcome.snippet, delivery.attemptedAt]);
  }

  async claimForResend(eventId: string, leaseMs: number): Promise<ResendClaim | null> {
    return (await this.db.run(claimForResend, [eventId, Math.ceil(leaseMs)]))[0] ?? null;
  }

  async stateOf(eventId: string): Promise<{ state: string; leased: boolean } | null> {
    return (await this.db.run(notificationState, [eventId]))[0] ?? null;
  }

  async recordResend(eventId: string, delivered: boolean): Promise<void> {
    await this.db.run(recordResend, [eventId, delivered]);
  }
}
