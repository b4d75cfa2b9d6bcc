/**
 * How many requests one merchant endpoint is sent at once, learned from its answers: AIMD
 * as in Netflix's concurrency-limits (`AIMDLimit`), with a latency test as in its gradient
 * limits and Envoy's adaptive-concurrency filter. While answers come about as fast as the
 * endpoint's fastest lately and its slots are in use, each one adds a slot; an answer much
 * slower than that, or none within NOTIFY_TIMEOUT, takes a tenth of them away. A merchant
 * that slows down is given fewer requests within a few answers; a hanging one falls to the
 * minimum before its circuit opens; one that recovers earns its slots back.
 *
 * The decision is made here, in the process that saw the answer; the arithmetic is applied
 * by the statement that records the attempt, on the endpoint row under its lock, with the
 * constants below as its parameters, so every process moves one shared limit.
 */

/** Added per answer at the endpoint's usual speed, when at least half its slots were in use. */
export const LIMIT_INCREASE = 1;
/** What a slow answer, or a timeout, leaves of the limit. */
export const LIMIT_BACKOFF = 0.9;
/** An answer is slow past this many times the endpoint's fastest lately, plus the slack… */
export const LATENCY_TOLERANCE = 2;
/**
 * …so a merchant answering in 2 ms is not called slow at 5 ms, nor one in 10 ms at 40 ms when
 * our own machine is busy; plus how late our own event loop runs lately, which every answer
 * is seen late by.
 */
export const LATENCY_SLACK_MS = 50;
/**
 * How long the fastest answer stands as the endpoint's usual speed. Long, so a slowdown of a
 * few minutes is seen as one; past it, a merchant that is lastingly slower is measured
 * against its new speed and may earn slots back there.
 */
export const LATENCY_FLOOR_WINDOW_MS = 5 * 60_000;

export type LimitStep = 'increase' | 'decrease' | 'hold';

export interface AnsweredAttempt {
  /** The request went out (not refused by the circuit or a disabled endpoint). */
  sent: boolean;
  /** From send to answer, or to giving up. */
  latencyMs: number;
  /** No answer came within NOTIFY_TIMEOUT. */
  timedOut: boolean;
  /** The endpoint's fastest answer lately; null before its first. */
  floorMs: number | null;
  /** Requests in flight at the endpoint when this one was sent, itself included. */
  inFlight: number;
  /** The limit when it was sent. */
  limit: number;
  /** How late this process's event loop has run lately (OwnLateness): not the merchant's doing. */
  ownLatenessMs: number;
}

export function limitStep(attempt: AnsweredAttempt): LimitStep {
  if (!attempt.sent) return 'hold';
  if (attempt.timedOut) return 'decrease';
  if (attempt.floorMs !== null && attempt.latencyMs > attempt.floorMs * LATENCY_TOLERANCE + LATENCY_SLACK_MS + attempt.ownLatenessMs) return 'decrease';
  // An endpoint using few of its slots says nothing about whether it could take more.
  return attempt.inFlight * 2 >= attempt.limit ? 'increase' : 'hold';
}

export interface LimitBounds {
  min: number;
  max: number;
}

/** The limit after a step; the record statement computes the same from the same constants. */
export function nextLimit(limit: number, step: LimitStep, { min, max }: LimitBounds): number {
  if (step === 'increase') return Math.min(max, limit + LIMIT_INCREASE);
  if (step === 'decrease') return Math.max(min, limit * LIMIT_BACKOFF);
  return limit;
}

/** The slots an endpoint has: its adaptive limit, whole, never above the cap ops set on it. */
export function slotsOf(limit: number, opsCap: number | null): number {
  return Math.max(1, Math.min(Math.floor(limit), opsCap ?? Infinity));
}
