/**
 * Retry-After as HTTP has it (RFC 9110 §10.2.3): whole seconds, or an HTTP date; in
 * milliseconds from `now`, never negative. Undefined when absent or unreadable.
 */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its day and month; anything else Date.parse would take (a bare "-5") is not one.
  const at = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
