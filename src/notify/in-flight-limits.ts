/** How many endpoints the in-flight gauge names; the rest are summed under `other`, so its series stay bounded however many merchants there are. */
export const NAMED_ENDPOINTS = 10;

/**
 * The gauge's series: the `named` busiest origins each with its count (ties in the order the
 * map has them), then every other origin summed as `other`, always present (0 when none).
 */
export function gaugeSeries(byOrigin: ReadonlyMap<string, number>, named = NAMED_ENDPOINTS): { endpoint: string; count: number }[] {
  const busiest = [...byOrigin].sort(([, a], [, b]) => b - a);
  const rest = busiest.slice(named).reduce((sum, [, count]) => sum + count, 0);
  return [...busiest.slice(0, named).map(([endpoint, count]) => ({ endpoint, count })), { endpoint: 'other', count: rest }];
}
