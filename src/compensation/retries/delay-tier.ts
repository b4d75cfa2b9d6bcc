/**
 * The delay before the next attempt when the far side asked for at least `atLeastMs`
 * (HTTP 429 with Retry-After): the first tier of the schedule at or past both the delay
 * the schedule had next and that wish, or the longest tier when none is (SPEC §8). Only
 * tiers of the schedule exist as delay queues, so a wish is met by a tier, never by a new delay.
 */
export function delayTierAtLeast(delaysMs: readonly number[], scheduledMs: number, atLeastMs: number): number {
  const wanted = Math.max(scheduledMs, atLeastMs);
  const tiers = [...new Set(delaysMs)].sort((a, b) => a - b);
  return tiers.find((tier) => tier >= wanted) ?? tiers[tiers.length - 1];
}
