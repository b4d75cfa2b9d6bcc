import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';
import { Statement } from '../database/sql';
import { CIRCUIT_OPEN, CircuitClock, ENDPOINT_DISABLED } from './circuit';
import type { EndpointState, SuccessRule } from './endpoint.entity';

/** An endpoint as ops see it, with what it is doing now and did over the last hour. */
export interface EndpointSummaryRow {
  id: string;
  origin: string;
  state: EndpointState;
  disabled_reason: string | null;
  success_rule: SuccessRule | null;
  concurrency: number | null;
  rate_limit: number | null;
  last_success_at: Date | null;
  last_failure_at: Date | null;
  last_error: string | null;
  in_flight_now: number;
  attempts_last_hour: number;
  failures_last_hour: number;
  concurrency_limit: number | null;
  waiting_now: number;
  latency_p50: number | null;
  latency_p99: number | null;
}

/** An endpoint's own settings; null: the platform's default (success rule, concurrency) or no limit (rate). */
export interface EndpointSettings {
  successRule: SuccessRule | null;
  concurrency: number | null;
  rateLimit: number | null;
}

/** The adaptive limit, the notifications waiting in every process's line (reports younger than their `until`), and the p50/p99 of the latest answer times. */
const ADAPTIVE = `e.concurrency_limit,
       (SELECT coalesce(sum((w.value->>'count')::int), 0)::int FROM jsonb_each(e.waiting) w
         WHERE (w.value->>'until')::bigint > extract(epoch FROM now()) * 1000) AS waiting_now,
       (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY l) FROM unnest(e.latencies) l) AS latency_p50,
       (SELECT percentile_disc(0.99) WITHIN GROUP (ORDER BY l) FROM unnest(e.latencies) l) AS latency_p99,`;

const SUMMARY = `SELECT e.id, e.origin, e.state, e.disabled_reason, e.success_rule, e.concurrency, e.rate_limit,
       e.last_success_at, e.last_failure_at, e.last_error,
       (SELECT count(*)::int FROM jsonb_each(e.in_flight) f WHERE f.value::bigint > extract(epoch FROM now()) * 1000) AS in_flight_now,
       ${ADAPTIVE}
       (SELECT count(*)::int FROM deliveries d WHERE d.endpoint_id = e.id AND d.attempted_at > $1 AND d.attempted_at < $2) AS attempts_last_hour,
       (SELECT count(*)::int FROM deliveries d WHERE d.endpoint_id = e.id AND d.attempted_at > $1 AND d.attempted_at < $2 AND d.delivered = false) AS failures_last_hour
  FROM endpoints e`;
// A page by origin, the hour's figures of its endpoints in one grouped read of deliveries_endpoint
// (endpoint_id, attempted_at), not two subqueries per row. Origins are never empty: '' starts the first page.
// The hour is bounded by values ($1, $2: see lastHour) the statement is planned with on each call
// (planEachCall), so its plan reads only the day partitions between them. A bound of
// `now() - interval '1 hour'` is known only when the statement runs, so its plan would take in
// every day's partition, the week made ahead among them.
const listSummaries = new Statement<EndpointSummaryRow>(
  'notify list endpoints',
  `WITH page AS (SELECT * FROM endpoints WHERE origin > $3 ORDER BY origin LIMIT $4),
        hour AS (SELECT d.endpoint_id, count(*)::int AS attempts, count(*) FILTER (WHERE d.delivered = false)::int AS failures
                   FROM deliveries d
                  WHERE d.endpoint_id IN (SELECT id FROM page) AND d.attempted_at > $1 AND d.attempted_at < $2
                  GROUP BY d.endpoint_id)
   SELECT e.id, e.origin, e.state, e.disabled_reason, e.success_rule, e.concurrency, e.rate_limit,
          e.last_success_at, e.last_failure_at, e.last_error,
          (SELECT count(*)::int FROM jsonb_each(e.in_flight) f WHERE f.value::bigint > extract(epoch FROM now()) * 1000) AS in_flight_now,
       ${ADAPTIVE}
          coalesce(hour.attempts, 0) AS attempts_last_hour, coalesce(hour.failures, 0) AS failures_last_hour
     FROM page e LEFT JOIN hour ON hour.endpoint_id = e.id
    ORDER BY e.origin`,
  { planEachCall: true },
);
/**
 * Process $1's line lengths ($3 by origin $2), standing until $4 (epoch ms) unless reported
 * again; a length of 0 takes its report away.
 */
const reportWaiting = new Statement(
  'notify report waiting',
  `UPDATE endpoints e
      SET waiting = (e.waiting - $1::text)
                    || CASE WHEN w.count > 0 THEN jsonb_build_object($1::text, jsonb_build_object('count', w.count, 'until', $4::bigint)) ELSE '{}'::jsonb END
     FROM unnest($2::text[], $3::int[]) AS w (origin, count)
    WHERE e.origin = w.origin`,
);
const summaryById = new Statement<EndpointSummaryRow>('notify endpoint by id', `${SUMMARY} WHERE e.id = $3`, { planEachCall: true });

const endpointExists = new Statement<{ id: string }>('notify endpoint exists', `SELECT id FROM endpoints WHERE id = $1`);
const lockSettings = new Statement<{ success_rule: SuccessRule | null; concurrency: number | null; rate_limit: number | null }>(
  'notify lock endpoint settings',
  `SELECT success_rule, concurrency, rate_limit FROM endpoints WHERE id = $1 FOR UPDATE`,
);
const setSettings = new Statement(
  'notify set endpoint settings',
  `UPDATE endpoints SET success_rule = $2, concurrency = $3, rate_limit = $4 WHERE id = $1`,
);
const enableEndpoint = new Statement<{ id: string }>(
  'notify enable endpoint',
  `UPDATE endpoints SET state = 'ACTIVE', disabled_reason = NULL, failing_since = NULL, opened_at = NULL, probe_at = NULL
    WHERE id = $1 RETURNING id`,
);
const failedEventIds = new Statement<{ event_id: string }>(
  'notify failed events of endpoint',
  `SELECT DISTINCT n.event_id FROM notifications n JOIN deliveries d ON d.event_id = n.event_id
    WHERE d.endpoint_id = $1 AND n.state = 'FAILED'`,
);

const circuitClock = new Statement<{ state: EndpointState; now: Date; opened_at: Date | null; probe_at: Date | null }>(
  'notify circuit clock',
  `SELECT state, now() AS now, opened_at, probe_at FROM endpoints WHERE id = $1`,
);
/**
 * The endpoint's state and its attempts over the last $2 ms whose outcome is known, and of
 * those the failures: a timeout, a broken connection, a 5xx; not a 4xx, and not an attempt
 * that was never sent (refused by the circuit, $3, or by a disabled endpoint, $4).
 */
/**
 * ACTIVE → OPEN when, over the last $2 ms, at least $3 attempts were sent and a share of at
 * least $4 of them failed (a timeout, a broken connection, a 5xx; never one the circuit or a
 * disabled endpoint refused, $5 and $6): counted and applied in one statement, so no attempt
 * is admitted between the count and the opening.
 */
const openIfFailing = new Statement<{ origin: string; opened_at: Date }>(
  'notify open circuit if failing',
  `UPDATE endpoints e SET state = 'OPEN', opened_at = now()
    WHERE e.id = $1 AND e.state = 'ACTIVE'
      AND (SELECT count(*) >= $3 AND count(*) FILTER (WHERE NOT d.delivered AND (d.http_status IS NULL OR d.http_status >= 500)) >= $4::float8 * count(*)
             FROM deliveries d
            WHERE d.endpoint_id = e.id AND d.attempted_at > now() - $2 * interval '1 millisecond' AND d.delivered IS NOT NULL
              AND coalesce(d.error, '') NOT IN ($5::text, $6::text))
    RETURNING e.origin, e.opened_at`,
);
// A lease claim on one row by key: probe_at is the lease ($3 ms, taken over when its holder died); the UPDATE re-checks its WHERE under the row lock, so one process wins, and one row needs no SKIP LOCKED.
const claimCircuitProbe = new Statement<{ id: string }>(
  'notify claim circuit probe',
  `UPDATE endpoints SET state = 'HALF_OPEN', probe_at = now()
    WHERE id = $1 AND ((state = 'OPEN' AND opened_at <= now() - $2 * interval '1 millisecond')
                    OR (state = 'HALF_OPEN' AND probe_at <= now() - $3 * interval '1 millisecond'))
    RETURNING id`,
);
const closeCircuit = new Statement<{ opened_at: Date; origin: string }>(
  'notify close circuit',
  `UPDATE endpoints SET state = 'ACTIVE', probe_at = NULL WHERE id = $1 AND state = 'HALF_OPEN' RETURNING opened_at, origin`,
);
const reopenCircuit = new Statement<{ id: string }>(
  'notify reopen circuit',
  `UPDATE endpoints SET state = 'OPEN', opened_at = now(), probe_at = NULL WHERE id = $1 AND state = 'HALF_OPEN' RETURNING id`,
);

/**
 * Endpoints by state, for the `backstop_endpoints` gauge: those not ACTIVE (a few) counted
 * along their partial index `endpoints_troubled`, ACTIVE as the rest of the table's count.
 */
const endpointsByState = new Statement<{ state: EndpointState; count: number }>(
  'notify endpoints by state',
  `WITH troubled AS (SELECT state, count(*)::int AS count FROM endpoints WHERE state <> 'ACTIVE' GROUP BY state)
   SELECT state, count FROM troubled
   UNION ALL
   SELECT 'ACTIVE', ((SELECT count(*) FROM endpoints) - (SELECT coalesce(sum(count), 0) FROM troubled))::int`,
);

/**
 * The hour an endpoint's figures cover, by this process's clock: from an hour ago to a day
 * ahead, so that attempts stamped by a database clock ahead of this one still count. A figure
 * for ops, which a clock a little off the database's moves by as little.
 */
function lastHour(): [Date, Date] {
  const now = Date.now();
  return [new Date(now - 3_600_000), new Date(now + 86_400_000)];
}

/** The endpoints table: ops' views and settings, and each endpoint's circuit. */
@Injectable()
export class EndpointsRepository {
  constructor(private readonly db: Db) {}

  /** Up to `limit` endpoints by origin, those after `afterOrigin` when given. */
  list(limit: number, afterOrigin?: string): Promise<EndpointSummaryRow[]> {
    return this.db.run(listSummaries, [...lastHour(), afterOrigin ?? '', limit]);
  }

  async summary(id: string): Promise<EndpointSummaryRow | undefined> {
    return (await this.db.run(summaryById, [...lastHour(), id]))[0];
  }

  /** This process's waiting lines, by origin, to stand for `standsForMs` unless reported again. */
  async reportWaiting(processId: string, counts: Map<string, number>, standsForMs: number): Promise<void> {
    if (counts.size === 0) return;
    await this.db.run(reportWaiting, [processId, [...counts.keys()], [...counts.values()], Date.now() + standsForMs]);
  }

  async exists(id: string): Promise<boolean> {
    return (await this.db.run(endpointExists, [id])).length > 0;
  }

  /**
   * Sets what `change` names (an absent field is left as it is), under the row's lock so
   * that two changes of different settings both stay; false when there is no such endpoint.
   */
  changeSettings(id: string, change: Partial<EndpointSettings>): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [current] = await tx.run(lockSettings, [id]);
      if (!current) return false;
      await tx.run(setSettings, [
        id,
        change.successRule === undefined ? current.success_rule : change.successRule,
        change.concurrency === undefined ? current.concurrency : change.concurrency,
        change.rateLimit === undefined ? current.rate_limit : change.rateLimit,
      ]);
      return true;
    });
  }

  /** ACTIVE again, its disabled reason and circuit times cleared; false when there is no such endpoint. */
  async enable(id: string): Promise<boolean> {
    return (await this.db.run(enableEndpoint, [id])).length > 0;
  }

  /** The events of the FAILED notifications an attempt of which went to this endpoint. */
  async failedEventIds(endpointId: string): Promise<string[]> {
    return (await this.db.run(failedEventIds, [endpointId])).map((row) => row.event_id);
  }

  async circuitClock(id: string): Promise<(CircuitClock & { state: EndpointState }) | undefined> {
    const [row] = await this.db.run(circuitClock, [id]);
    return row && { state: row.state, now: row.now, openedAt: row.opened_at, probeAt: row.probe_at };
  }

  /** OPEN → HALF_OPEN after `cooldownMs`, or a HALF_OPEN probe older than `probeLeaseMs` taken over: true for the one attempt that gets it. */
  async claimCircuitProbe(id: string, cooldownMs: number, probeLeaseMs: number): Promise<boolean> {
    return (await this.db.run(claimCircuitProbe, [id, cooldownMs, probeLeaseMs])).length > 0;
  }

  /** ACTIVE → OPEN when the endpoint failed too often over the window: its origin and when it opened; undefined when it did not (or was not ACTIVE). */
  async openIfFailing(id: string, rule: { windowMs: number; minRequests: number; failureRate: number }): Promise<{ origin: string; openedAt: Date } | undefined> {
    const [opened] = await this.db.run(openIfFailing, [id, rule.windowMs, rule.minRequests, rule.failureRate, CIRCUIT_OPEN, ENDPOINT_DISABLED]);
    return opened && { origin: opened.origin, openedAt: opened.opened_at };
  }

  /** HALF_OPEN → ACTIVE; answers when the circuit had opened (and the endpoint's origin), undefined when it was not HALF_OPEN. */
  async closeCircuit(id: string): Promise<{ openedAt: Date; origin: string } | undefined> {
    const [closed] = await this.db.run(closeCircuit, [id]);
    return closed && { openedAt: closed.opened_at, origin: closed.origin };
  }

  async countByState(): Promise<{ state: EndpointState; count: number }[]> {
    return this.db.run(endpointsByState);
  }

  /** HALF_OPEN → OPEN, its cooldown from now; false when it was not HALF_OPEN. */
  async reopenCircuit(id: string): Promise<boolean> {
    return (await this.db.run(reopenCircuit, [id])).length > 0;
  }
}
