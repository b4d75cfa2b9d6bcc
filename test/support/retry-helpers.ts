import { http } from './http';
import { MerchantServer, ReceivedNotification } from './merchant-server';
import { rabbitmqctl } from './rabbitmqctl';
import { waitFor } from './wait-for';

/** G4: a retry may come late by 10% of its delay or 250 ms, whichever is larger. */
export const lateBoundMs = (delayMs: number) => Math.max(0.1 * delayMs, 250);
/** A retry never comes early: the delay queue's TTL starts after the failed attempt. Only clock jitter is allowed. */
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

/** Time between consecutive arrivals, in ms. */
export function gapsOf(requests: ReceivedNotification[]): number[] {
  return gapsBetween(requests.map((request) => request.at));
}

/** The gaps between successive instants, in whole ms. */
export function gapsBetween(times: number[]): number[] {
  return times.slice(1).map((at, index) => Math.round(at - times[index]));
}

/** Checks each gap against its delay within G4's bound, in one readable expectation. */
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
