/**
 * What happens to a delivery once its handler has run: the one decision backstop's own
 * handlers and the services on `BackstopTransport` share. It is pure — no broker, no
 * database — so each side only carries out the step it is given.
 */

/** What a failure may say of the next attempt (an error thrown by a handler may carry these fields). */
export interface RetryAdvice {
  /** Not before this long (an HTTP 429's Retry-After). */
  retryAfterMs?: number;
  /** None: trying again cannot help (the far side is gone); set aside as failed at once. */
  final?: boolean;
  /**
   * Not an attempt at all: the handler could not start yet (say, its far side is at its
   * concurrency limit). The message waits on the broker (its handler's wait delay, by
   * default the shortest delay of the schedule) and comes back with the same attempt
   * number, holding no consumer slot meanwhile.
   */
  notYet?: boolean;
}

/**
 * How the run went: `handled` (done, or skipped as done before); `poison` (the message
 * cannot be read, is not one of the handler's events, or the handler refused it as
 * contradicting its data: trying again cannot help); `failed` (the handler threw).
 */
export type RunOutcome = 'handled' | 'poison' | 'failed';

export interface Run {
  outcome: RunOutcome;
  /** With `failed`: what the error says of the next attempt. */
  advice?: RetryAdvice;
  /** The attempt that just ran, 1 on first delivery (the `x-attempt` header). */
  attempt: number;
  /** Whether this delivery is a re-run from backstop's console (it carries `x-rerun`). */
  rerun: boolean;
  /** How many times in a row it has waited without being tried (the `x-waits` header); 0 when not given. */
  waits?: number;
}

export type NextStep =
  /** Done: acknowledge the message. */
  | { step: 'ack' }
  /** A re-run succeeded: say so to backstop, then acknowledge. */
  | { step: 'rerun-resolved' }
  /** A re-run failed: say so to backstop (it keeps the record), then acknowledge. */
  | { step: 'rerun-failed' }
  /** Try again: a copy goes to the delay queue of `delayMs` with the attempt number one up. */
  | { step: 'retry'; delayMs: number }
  /** Not tried: a copy waits in the delay queue of `delayMs` (the wait delay) with the same attempt number. */
  | { step: 'wait'; delayMs: number }
  /** Give up: record the message as failed (as poison: never swept, only ops may re-run it). */
  | { step: 'set-aside'; poison: boolean };

/** The delay the schedule puts after `attempt`, or undefined when `attempt` was the last. */
export function scheduledDelay(delaysMs: readonly number[], attempt: number): number | undefined {
  return delaysMs[attempt - 1];
}

/**
 * The delay before the next attempt when the far side asked for at least `atLeastMs`
 * (HTTP 429 with Retry-After): the first tier of the schedule at or past both the delay
 * the schedule had next and that wish, or the longest tier when none is. Only the tiers of
 * the schedule exist as delay queues, so a wish is met by a tier, never by a new delay.
 */
export function delayTierAtLeast(delaysMs: readonly number[], scheduledMs: number, atLeastMs: number): number {
  const wanted = Math.max(scheduledMs, atLeastMs);
  const tiers = [...new Set(delaysMs)].sort((a, b) => a - b);
  return tiers.find((tier) => tier >= wanted) ?? tiers[tiers.length - 1];
}

/**
 * How long a message that could not start waits on the broker: the wait delay the first
 * time; once it came back and still could not start (say, its endpoint hangs and its line is
 * full), the first tier of the schedule at or past twice that, or the wait delay again when
 * there is none. Each return costs the consumer's process a delivery, a publish and its
 * confirm: a hanging endpoint's parked backlog then comes back a third as often in
 * production (3 s against 1 s), and an endpoint that frees a slot is still served from its
 * line first. Still no attempt is counted, and no tier of the schedule is used up.
 */
export function waitDelay(delaysMs: readonly number[], waitMs: number, waits: number): number {
  if (waits === 0 || delaysMs.length === 0) return waitMs;
  const tier = delayTierAtLeast(delaysMs, 0, 2 * waitMs);
  return tier >= 2 * waitMs ? tier : waitMs;
}

/**
 * The next step of a delivery after its handler ran, given the retry schedule (the delays
 * between attempts, in milliseconds) and how long a message that could not start yet waits
 * (by default the schedule's shortest delay):
 *
 * - handled: acknowledge; on a re-run, report that it resolved;
 * - failed with `notYet`: wait that long without counting an attempt (also on a re-run),
 *   longer when it has waited already (`waitDelay`);
 * - otherwise, on a re-run: report that it failed (a re-run is one attempt, with no retries);
 * - poison: set aside as poison;
 * - failed, not `final`, with a delay left in the schedule: retry after that delay, or with
 *   a `retryAfterMs` wish after the first tier at or past it;
 * - failed otherwise: set aside as failed.
 */
export function nextStep(run: Run, delaysMs: readonly number[], waitMs: number | undefined = delaysMs.length > 0 ? Math.min(...delaysMs) : undefined): NextStep {
  if (run.outcome === 'handled') return run.rerun ? { step: 'rerun-resolved' } : { step: 'ack' };
  const advice = run.outcome === 'failed' ? run.advice : undefined;
  if (advice?.notYet && waitMs !== undefined) return { step: 'wait', delayMs: waitDelay(delaysMs, waitMs, run.waits ?? 0) };
  if (run.rerun) return { step: 'rerun-failed' };
  if (run.outcome === 'poison') return { step: 'set-aside', poison: true };
  const scheduledMs = scheduledDelay(delaysMs, run.attempt);
  if (scheduledMs === undefined || advice?.final) return { step: 'set-aside', poison: false };
  const wish = advice?.retryAfterMs;
  return { step: 'retry', delayMs: wish === undefined ? scheduledMs : delayTierAtLeast(delaysMs, scheduledMs, wish) };
}
