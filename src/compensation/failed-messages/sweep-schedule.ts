/**
 * When the sweeper should next re-run a failed message: the last failure plus the
 * schedule's entry for round `sweepCount`; null once the rounds are used up, after
 * which only ops re-run it (SPEC §6).
 */
export function nextSweepAt(lastFailedAt: Date, sweepCount: number, scheduleMs: readonly number[]): Date | null {
  const delay = scheduleMs[sweepCount];
  return delay === undefined ? null : new Date(lastFailedAt.getTime() + delay);
}
