const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Parses the duration grammar of the configuration (`250ms`, `3s`, `10m`, `2h`, `7d`).
 * Written here rather than taken from `ms`, which also accepts `2 days` or `1y`
 * and would let a typo through as a valid, surprising schedule.
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) {
    throw new Error(`"${text}" is not a duration (a whole number followed by ms, s, m, h or d)`);
  }
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** A comma-separated list of durations, e.g. the stepped retry schedule `3s,30s,60s`. */
export function parseSchedule(text: string): number[] {
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.length === 0 || entries.some((entry) => entry === '')) {
    throw new Error(`"${text}" is not a schedule (durations separated by commas)`);
  }
  return entries.map(parseDuration);
}

/** The queue-name form of a delay, e.g. 30000 → `30s`, so `<queue>.retry.30s` reads as the schedule does. */
export function formatDuration(milliseconds: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (milliseconds >= size && milliseconds % size === 0) return `${milliseconds / size}${unit}`;
  }
  return `${milliseconds}ms`;
}
