/**
 * When the sweeper should next re-run a failed message: the last failure plus the
 * schedule's entry for round `sweepCount`; null once the rounds are used up, after
 * which only ops re-run it (docs/architecture.md#retries-failures-and-the-sweeper).
 */
export function nextSweepAt(lastFailedAt: Date, sweepCount: number, scheduleMs: readonly number[]): Date | null {
  const delay = scheduleMs[sweepCount];
  return delay === undefined ? null : new Date(lastFailedAt.getTime() + delay);
}
