import { http } from './http';
import { MerchantServer } from './merchant-server';
import { rabbitmqctl } from './rabbitmqctl';
import type { TestWorld } from './test-world';
import { waitFor } from './wait-for';

/**
 * G4: a retry may come late by 10% of its delay or 250 ms, whichever is larger. Measured by
 * retryGaps, the lateness is only the platform's own work between the failure and the next
 * attempt (recording the failure, the confirmed publish into the delay queue, the broker
 * dead-lettering it back, the consume and the claim), which is what G4 bounds. With two
 * CPU-bound loops beside the run it measured 10–150 ms here; past 250 ms it is the platform
 * itself that was late, by its own log, not noise in how the test measures.
 */
export const lateBoundMs = (delayMs: number) => Math.max(0.1 * delayMs, 250);
/**
 * A retry never comes early: the delay queue's TTL starts after the failed attempt was
 * recorded and RabbitMQ never expires a message before its TTL, so load can only make a gap
 * longer. 20 ms is for rounding alone (whole-ms TTL expiry and duration_ms).
 */
export const EARLY_TOLERANCE_MS = 20;

/**
 * Makes a merchant answer HTTP 500 to the first `failures` requests of each notification
 * (told apart by `webhook-id`) and `success` after that; Infinity: it never succeeds.
 */
export function failFirst(merchant: MerchantServer, failures: number): void {
  merchant.answerWith((request, response) => {
    const id = request.headers['webhook-id'];
    const seen = merchant.received.filter((other) => other.headers['webhook-id'] === id).length;
    if (seen <= failures) {
      response.statusCode = 500;
      response.end('try again');
    } else {
      response.end('success');
    }
  });
}

/**
 * One notification attempt as the delivery log timed it, in epoch ms: `startedAt` is when it
 * was claimed and logged (attempted_at, PostgreSQL's clock), `endedAt` that plus the duration
 * the platform measured for it (duration_ms), null while its outcome is unknown. `endedAt` is
 * never after the moment a failed attempt's message went into its delay queue; it is early by
 * the claim's own round trip and the recording of the outcome (tens of ms under load), so a
 * wait measured from it errs long: safe for the lower bound, a little strict for the upper.
 */
export interface LoggedAttempt {
  attempt: number;
  startedAt: number;
  endedAt: number | null;
}

/** An order's notification attempts from its delivery log (`deliveries`), oldest first. */
export function attemptLog(world: Pick<TestWorld, 'query'>, orderId: string): Promise<LoggedAttempt[]> {
  return world.query<LoggedAttempt>(
    `SELECT attempt, extract(epoch FROM attempted_at)::float8 * 1000 AS "startedAt",
            extract(epoch FROM attempted_at)::float8 * 1000 + duration_ms AS "endedAt"
       FROM deliveries WHERE order_id = $1 ORDER BY attempted_at, id`,
    [orderId],
  );
}

/**
 * How long each retry waited, in whole ms: from the end of the failed attempt before it to
 * its own start, both from the platform's delivery log. Neither the merchant's answer time
 * nor when the test's merchant server or poll noticed anything is inside it: on a loaded
 * machine those are scheduling noise of the test process, not the platform's schedule.
 */
export function retryGaps(attempts: LoggedAttempt[]): number[] {
  return attempts.slice(1).map((next, index) => {
    const failed = attempts[index];
    if (failed.endedAt === null) throw new Error(`attempt ${failed.attempt} has no recorded outcome: it cannot start a retry gap`);
    return Math.round(next.startedAt - failed.endedAt);
  });
}

/** Checks each gap against its delay, EARLY_TOLERANCE_MS below to G4's lateBoundMs above, in one readable expectation. */
export function expectOnSchedule(gaps: number[], delaysMs: number[]): void {
  const verdicts = delaysMs.map((delayMs, index) => ({
    delayMs,
    gapMs: gaps[index],
    onTime: gaps[index] >= delayMs - EARLY_TOLERANCE_MS && gaps[index] <= delayMs + lateBoundMs(delayMs),
  }));
  expect({ count: gaps.length, verdicts }).toEqual({ count: delaysMs.length, verdicts: verdicts.map((verdict) => ({ ...verdict, onTime: true })) });
}

/**
 * Watches `count` for `windowMs` and fails as soon as it moves past `expected`: a bounded
 * observation window (the caller derives it from the configured schedule), not a sleep.
 */
export async function staysAt(count: () => number | Promise<number>, expected: number, windowMs: number, what: string): Promise<void> {
  let seen = expected;
  const moved = await waitFor(
    async () => {
      seen = await count();
      return seen !== expected;
    },
    { what, timeoutMs: windowMs, intervalMs: 20 },
  ).catch((error: Error) => {
    if (/^timed out/.test(error.message)) return false;
    throw error;
  });
  expect({ what, count: moved ? seen : expected }).toEqual({ what, count: expected });
}

export async function notificationOf(base: string, orderId: string) {
  const answer = await http(base, 'GET', `/orders/${orderId}`);
  if (answer.status !== 200) throw new Error(`GET /orders/${orderId}: ${answer.status} ${answer.text}`);
  return answer.body.notification as { state: string; attempts: number; lastAttemptAt?: string; nextAttemptAt?: string };
}

export function notificationReaches(base: string, orderId: string, state: string, timeoutMs = 20_000) {
  return waitFor(
    async () => {
      const notification = await notificationOf(base, orderId);
      return notification.state === state ? notification : undefined;
    },
    { what: `the notification of ${orderId} to be ${state}`, timeoutMs },
  );
}

export interface QueueDeclaration {
  name: string;
  type: string;
  arguments: string;
}

/** Every queue of a vhost with its type and its arguments as rabbitmqctl prints them. */
export async function queueDeclarations(vhost: string): Promise<Map<string, QueueDeclaration>> {
  const out = await rabbitmqctl('list_queues', '-p', vhost, 'name', 'type', 'arguments', '--no-table-headers');
  const queues = new Map<string, QueueDeclaration>();
  for (const line of out.split('\n').filter((entry) => entry.trim() !== '')) {
    const [name, type, ...rest] = line.split('\t');
    queues.set(name.trim(), { name: name.trim(), type: (type ?? '').trim(), arguments: rest.join('\t').trim() });
  }
  return queues;
}
