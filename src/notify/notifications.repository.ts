import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';
import { Statement } from '../database/sql';
import { LATENCY_FLOOR_WINDOW_MS, LIMIT_BACKOFF, LIMIT_INCREASE, LimitBounds, LimitStep } from './adaptive-limit';
import type { EndpointState, SuccessRule } from './endpoint.entity';

/**
 * An attempt's row in the delivery log. The log is partitioned by `attempted_at`, so the row
 * is found again by both: PostgreSQL then looks in one day's partition, not in every one.
 * The time travels as PostgreSQL's own text, which keeps its microseconds (a Date would not).
 */
export interface DeliveryRef {
  id: string;
  attemptedAt: string;
}

/** A notification's lease and a slot of its endpoint, with its attempt logged; or why not. */
export interface NotificationClaim {
  /** The attempt's delivery log row; null when nothing was claimed. */
  id: string | null;
  attempted_at: string | null;
  endpoint_id: string | null;
  endpoint_state: EndpointState | null;
  success_rule: SuccessRule | null;
  /** The lease was taken, but the endpoint filled up meanwhile. */
  claimed: boolean;
  /** False when another event's notification already stands for the same order and outcome (as `record` answers). */
  mine: boolean;
  state: string | null;
  busy: boolean;
  /** The endpoint's adaptive limit, its fastest answer lately, and its requests in flight with this one: for the limit's next step. */
  concurrency_limit: number | null;
  latency_floor_ms: number | null;
  /** The endpoint's slots (its limit, whole, under the ops cap), for how many are left free. */
  slots: number | null;
  in_flight: number | null;
}

/** An attempt's outcome, for `recordAttempt`. */
export interface AttemptRecord {
  delivery: DeliveryRef;
  eventId: string;
  endpointId: string;
  httpStatus: number | null;
  durationMs: number;
  delivered: boolean;
  error: string | null;
  snippet: string | null;
  /** The notification's state after it: PENDING (with `nextDelayMs`), DELIVERED or FAILED. */
  state: 'PENDING' | 'DELIVERED' | 'FAILED';
  nextDelayMs: number;
  /** The request went out (a disabled endpoint or an open circuit sends nothing). */
  sent: boolean;
  /** 410 Gone: the endpoint is disabled. */
  gone: boolean;
  /** NOTIFY_DISABLE_AFTER, in ms and as written (for the reason shown to ops). */
  disableAfterMs: number;
  disableAfter: string;
  /** The adaptive limit's step, and its bounds. */
  limitStep: LimitStep;
  limitBounds: LimitBounds & { initial: number };
  /** The answer's time when one came (it may set the endpoint's fastest); the attempt's time when it was sent. */
  answeredInMs: number | null;
  sentForMs: number | null;
}

/**
 * The notification of event $2 (outcome $3 of order $1, in state $4), recorded if new;
 * whether it is this event's: false when another event already stands for the same order
 * and outcome (one notification each, whatever events claim it). Under a race the unique
 * index makes the second insert wait for the first and then do nothing; this statement's
 * snapshot may not see the winner's row, but it sees that its own event has none.
 */
const record = new Statement<{ mine: boolean }>(
  'notifications record',
  `WITH recorded AS (
     INSERT INTO notifications (event_id, order_id, event_type, state) VALUES ($2, $1, $3, $4) ON CONFLICT DO NOTHING RETURNING event_id)
   SELECT EXISTS (SELECT 1 FROM recorded) OR EXISTS (SELECT 1 FROM notifications WHERE event_id = $2) AS mine`,
);

/**
 * An endpoint's slots in SQL, as `slotsOf` (adaptive-limit.ts) says: its adaptive limit (or
 * $7, NOTIFY_ENDPOINT_CONCURRENCY, before it has one), whole, under the cap ops set.
 */
const SLOTS = `greatest(1, least(floor(coalesce(e.concurrency_limit, $7::real)), coalesce(e.concurrency, 2147483647)))`;

/**
 * Whether endpoint $6 has no slot free: as many attempts in flight there as its slots or, with
 * a rate limit, as many sent in the last second as it allows.
 */
const ENDPOINT_FULL = `EXISTS (SELECT 1 FROM endpoints e WHERE e.origin = $6 AND NOT (
     (SELECT count(*) FROM jsonb_each(e.in_flight) f WHERE f.value::bigint > (extract(epoch FROM now()) * 1000)::bigint) < ${SLOTS}
     AND (e.rate_limit IS NULL OR (SELECT count(*) FROM unnest(e.recent_sends) t WHERE t > now() - interval '1 second') < e.rate_limit)))`;

/**
 * The claim of one attempt (lease $1 ms) at the notification of event $2 (outcome $8 of order
 * $3), never from a live attempt, with a slot of its endpoint (origin $6, made on first use;
 * its limit $7 until it has one). The notification is recorded here when it is new, as
 * `record` would, already leased when its endpoint has a slot: the first claim of a
 * notification costs one round trip, not two. `mine` answers as `record` does.
 *
 * The slot is checked and taken on the endpoint row itself, under its lock (an upsert
 * re-checks its condition on the row's latest version), so processes never overbook it; the
 * same check on the statement's snapshot keeps a busy endpoint's notifications from taking a
 * lease at all. The attempt is logged (attempt $4, url $5) before anything is sent. It always
 * answers one row: the attempt, or why not (the notification's state, whether the lease was
 * taken, whether the endpoint was busy; looked up only then, so a claim that goes does not
 * pay for them). A notification recorded by this statement is not in its snapshot, so its
 * state reads null: it is new, neither delivered nor leased by another attempt.
 *
 * It commits without waiting for its WAL to reach disk (synchronous_commit off, for this
 * statement's transaction only), so the endpoint row stays locked while the statement runs,
 * not across a disk flush: a busy endpoint's claims follow one another that much faster.
 * Nothing is lost by it. The attempt's outcome is recorded durably before the message is
 * acknowledged, and that commit flushes the claim's WAL with its own. A claim a database
 * crash takes back is an attempt whose process died mid-send: the message was not
 * acknowledged, so the notification is recorded, claimed and sent again, as after any crash
 * between a send and its record.
 */
const claim = new Statement<NotificationClaim>(
  'notifications claim attempt',
  `WITH recorded AS (
     INSERT INTO notifications (event_id, order_id, event_type, state, lease_until)
     SELECT $2, $3, $8, 'PENDING', CASE WHEN NOT ${ENDPOINT_FULL} THEN now() + $1 * interval '1 millisecond' END
     ON CONFLICT DO NOTHING
     RETURNING event_id, lease_until IS NOT NULL AS leased),
   claimed AS (
     UPDATE notifications SET lease_until = now() + $1 * interval '1 millisecond', state = 'PENDING'
      WHERE event_id IN (
        SELECT event_id FROM notifications
         WHERE event_id = $2 AND state <> 'DELIVERED' AND (lease_until IS NULL OR lease_until < now()) AND NOT ${ENDPOINT_FULL}
         FOR UPDATE SKIP LOCKED)
     RETURNING event_id),
   taken AS (
     SELECT event_id FROM claimed UNION ALL SELECT event_id FROM recorded WHERE leased),
   slot AS (
     INSERT INTO endpoints AS e (origin, in_flight)
     SELECT $6, jsonb_build_object($2::text, (extract(epoch FROM now()) * 1000)::bigint + $1::bigint) FROM taken
     ON CONFLICT (origin) DO UPDATE
        SET in_flight = (SELECT coalesce(jsonb_object_agg(f.key, f.value), '{}') FROM jsonb_each(e.in_flight) f
                          WHERE f.value::bigint > (extract(epoch FROM now()) * 1000)::bigint) || excluded.in_flight,
            recent_sends = CASE WHEN e.rate_limit IS NULL THEN '{}'
                                ELSE array(SELECT t FROM unnest(e.recent_sends) t WHERE t > now() - interval '1 second') || now() END
      WHERE (SELECT count(*) FROM jsonb_each(e.in_flight) f WHERE f.value::bigint > (extract(epoch FROM now()) * 1000)::bigint) < ${SLOTS}
        AND (e.rate_limit IS NULL OR (SELECT count(*) FROM unnest(e.recent_sends) t WHERE t > now() - interval '1 second') < e.rate_limit)
     RETURNING e.id, e.state, e.success_rule, coalesce(e.concurrency_limit, $7::real) AS concurrency_limit, e.latency_floor_ms, ${SLOTS}::int AS slots,
               (SELECT count(*) FROM jsonb_each(e.in_flight) f WHERE f.value::bigint > (extract(epoch FROM now()) * 1000)::bigint)::int AS in_flight),
   logged AS (
     INSERT INTO deliveries (event_id, order_id, attempt, url, endpoint_id, attempted_at)
     SELECT taken.event_id, $3::uuid, $4::int, $5::text, slot.id, now() FROM taken, slot
     RETURNING id, attempted_at)
   SELECT logged.id, logged.attempted_at::text AS attempted_at, slot.id AS endpoint_id, slot.state AS endpoint_state, slot.success_rule,
          slot.concurrency_limit, slot.latency_floor_ms, slot.slots, slot.in_flight,
          taken.event_id IS NOT NULL AS claimed,
          EXISTS (SELECT 1 FROM recorded) OR EXISTS (SELECT 1 FROM notifications WHERE event_id = $2) AS mine,
          CASE WHEN logged.id IS NULL THEN (SELECT state FROM notifications WHERE event_id = $2) END AS state,
          CASE WHEN logged.id IS NULL THEN ${ENDPOINT_FULL} ELSE false END AS busy
     FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed LEFT JOIN taken ON true LEFT JOIN slot ON true LEFT JOIN logged ON true`,
);

/** Answer times kept per endpoint for the p50/p99 ops see. */
export const KEPT_LATENCIES = 100;

/**
 * Completes attempt $1's log entry (made at $15) with its outcome, sets the notification's state after it
 * ($7) and frees its lease (DELIVERED stays DELIVERED); gives the attempt's slot (event $14)
 * back to endpoint $9 and, when the request was sent ($10), notes its outcome there,
 * disabling the endpoint on 410 Gone ($11) or when every attempt has failed for $12 ms ($13 as written);
 * moves its adaptive limit by step $16 between $17 and $18 (from $19 before it had one; +$20
 * or ×$21), its fastest answer lately by answer time $22 (a window of $24 ms), and keeps the
 * attempt's time $23 among its latest. Answers whether it disabled the endpoint: the row's
 * state before, read under its lock, was not DISABLED (so of attempts recorded at once, one says so).
 */
const recordAttempt = new Statement<{ disabled: boolean; origin: string; disabled_reason: string | null }>(
  'notifications record attempt',
  `WITH logged AS (
     UPDATE deliveries SET http_status = $2, duration_ms = $3, delivered = $4, error = $5, response_snippet = $6
      WHERE id = $1 AND attempted_at = $15::timestamptz
      RETURNING event_id, attempted_at),
   endpoint AS (
     UPDATE endpoints SET in_flight = in_flight - $14::text,
            last_success_at = CASE WHEN $10 AND $4 THEN now() ELSE last_success_at END,
            last_failure_at = CASE WHEN $10 AND NOT $4 THEN now() ELSE last_failure_at END,
            last_error = CASE WHEN $10 AND NOT $4 THEN $5 ELSE last_error END,
            failing_since = CASE WHEN NOT $10 THEN failing_since WHEN $4 THEN NULL ELSE coalesce(failing_since, now()) END,
            state = CASE WHEN $10 AND ($11 OR (NOT $4 AND failing_since <= now() - $12 * interval '1 millisecond')) THEN 'DISABLED' ELSE state END,
            disabled_reason = CASE WHEN $10 AND $11 THEN '410 Gone'
                                   WHEN $10 AND NOT $4 AND failing_since <= now() - $12 * interval '1 millisecond' THEN 'every attempt failed for ' || $13
                                   ELSE disabled_reason END,
            concurrency_limit = CASE $16::text WHEN 'increase' THEN least($18::real, coalesce(concurrency_limit, $19::real) + $20::real)
                                               WHEN 'decrease' THEN greatest($17::real, coalesce(concurrency_limit, $19::real) * $21::real)
                                               ELSE concurrency_limit END,
            latency_floor_ms = CASE WHEN $22::int IS NULL THEN latency_floor_ms
                                    WHEN latency_floor_ms IS NULL OR latency_floor_since < now() - $24 * interval '1 millisecond' OR $22 < latency_floor_ms THEN $22
                                    ELSE latency_floor_ms END,
            latency_floor_since = CASE WHEN $22::int IS NULL THEN latency_floor_since
                                       WHEN latency_floor_ms IS NULL OR latency_floor_since < now() - $24 * interval '1 millisecond' THEN now()
                                       ELSE latency_floor_since END,
            latencies = CASE WHEN $23::int IS NULL THEN latencies
                             ELSE (latencies || $23::int)[greatest(1, cardinality(latencies) + 2 - ${KEPT_LATENCIES}):] END
       FROM (SELECT state AS was FROM endpoints WHERE id = $9 FOR UPDATE) AS before
      WHERE id = $9
      RETURNING state = 'DISABLED' AND before.was <> 'DISABLED' AS disabled, origin, disabled_reason),
   noted AS (
     UPDATE notifications n SET state = $7, attempts = attempts + 1, last_attempt_at = logged.attempted_at, lease_until = NULL,
            next_attempt_at = CASE WHEN $7 = 'PENDING' THEN now() + $8 * interval '1 millisecond' END,
            delivered_at = CASE WHEN $7 = 'DELIVERED' THEN now() END
       FROM logged
      WHERE n.event_id = logged.event_id AND n.state <> 'DELIVERED')
   SELECT disabled, origin, disabled_reason FROM endpoint`,
);

/** The slots free at endpoint $1 now (its limit $2 until it has one), fewer when its rate limit leaves fewer sends this second. */
const freeSlots = new Statement<{ free: number }>(
  'notifications endpoint free slots',
  `SELECT greatest(0, least(
            ${SLOTS.replaceAll('$7', '$2')} - (SELECT count(*) FROM jsonb_each(e.in_flight) f WHERE f.value::bigint > (extract(epoch FROM now()) * 1000)::bigint),
            coalesce(e.rate_limit - (SELECT count(*) FROM unnest(e.recent_sends) t WHERE t > now() - interval '1 second'), 2147483647)))::int AS free
     FROM endpoints e WHERE e.origin = $1`,
);

const releaseLease = new Statement('notifications release lease', `UPDATE notifications SET lease_until = NULL WHERE event_id = $1`);

/** Notify's notifications, with the delivery log row and endpoint slot each attempt takes. */
@Injectable()
export class NotificationsRepository {
  constructor(private readonly db: Db) {}

  /** Records the notification of an outcome; false when another event's notification stands for it already. */
  async record(orderId: string, eventId: string, eventType: string, state: 'PENDING' | 'NOT_SUBSCRIBED'): Promise<boolean> {
    return (await this.db.run(record, [orderId, eventId, eventType, state]))[0].mine;
  }

  /** Claims an attempt at the notification of an outcome (see `claim`), recording the notification first when it is new. */
  async claimAttempt(
    notification: { eventId: string; orderId: string; eventType: string; attempt: number; url: string; origin: string },
    leaseMs: number,
    initialLimit: number,
  ): Promise<NotificationClaim> {
    const { eventId, orderId, eventType, attempt, url, origin } = notification;
    return (await this.db.run(claim, [Math.ceil(leaseMs), eventId, orderId, attempt, url, origin, initialLimit, eventType]))[0];
  }

  /** How many slots the endpoint of `origin` has free now (a read, for a notification waiting in line to ask often). */
  async freeSlots(origin: string, initialLimit: number): Promise<number> {
    const [row] = await this.db.run(freeSlots, [origin, initialLimit]);
    return row?.free ?? initialLimit;
  }

  /** Records the attempt; answers the endpoint's origin and reason when this attempt disabled it. */
  async recordAttempt(attempt: AttemptRecord): Promise<{ origin: string; reason: string } | undefined> {
    const [endpoint] = await this.db.run(recordAttempt, [
      attempt.delivery.id,
      attempt.httpStatus,
      attempt.durationMs,
      attempt.delivered,
      attempt.error,
      attempt.snippet,
      attempt.state,
      attempt.nextDelayMs,
      attempt.endpointId,
      attempt.sent,
      attempt.gone,
      attempt.disableAfterMs,
      attempt.disableAfter,
      attempt.eventId,
      attempt.delivery.attemptedAt,
      attempt.limitStep,
      attempt.limitBounds.min,
      attempt.limitBounds.max,
      attempt.limitBounds.initial,
      LIMIT_INCREASE,
      LIMIT_BACKOFF,
      attempt.answeredInMs,
      attempt.sentForMs,
      LATENCY_FLOOR_WINDOW_MS,
    ]);
    return endpoint?.disabled ? { origin: endpoint.origin, reason: endpoint.disabled_reason ?? '' } : undefined;
  }

  async releaseLease(eventId: string): Promise<void> {
    await this.db.run(releaseLease, [eventId]);
  }
}
