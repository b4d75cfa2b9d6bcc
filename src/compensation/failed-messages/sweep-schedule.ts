/**
 * When the sweeper should next re-run a failed message: the last failure plus the
 * schedule's entry for round `sweepCount`; null once the rounds are used up, after
 * which only ops re-run it (SPEC §6).
 */
export function nextSweepAt(lastFailedAt: Date, sweepCount: number, scheduleMs: readonly number[]): Date | null {
  const delay = scheduleMs[sweepCount];
  return delay === undefined ? null : new Date(lastFailedAt.getTime() + delay);
}

/** An error as stored with a failure: its message and the top of its stack. */
export function describeError(error: unknown, stackLines = 4): string {
  if (!(error instanceof Error)) return String(error);
  const frames = (error.stack ?? '').split('\n').slice(1, 1 + stackLines).map((line) => line.trim());
  return [`${error.name}: ${error.message}`, ...frames].join('\n');
}
