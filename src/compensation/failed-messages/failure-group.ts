import { createHash } from 'node:crypto';

/**
 * Failure groups: the failed messages of one handler that failed the same way, so on-call
 * acts on a cause once instead of on each of its messages. Pure, with no imports but
 * node:crypto: the migration that added the columns backfills old rows with these functions.
 */

/** What a failure is grouped by, as `failed_messages` keeps it. */
export interface FailureGroup {
  /** The group's key in the API: handler, fingerprint and endpoint hashed, 16 hex digits. */
  key: string;
  fingerprint: string;
  /** The origin (`scheme://host[:port]`) the failure was against, when it is known. */
  endpoint: string | null;
}

export const FAILURE_GROUP_KEY = /^[0-9a-f]{16}$/;

/** Long enough for any error's kind and message; a longer first line is cut after masking. */
export const FINGERPRINT_LENGTH = 500;

// A URL runs to the next space or bracket, the punctuation that ends a sentence or a clause left out.
const URL_SOURCE = `[^\\s"'<>()[\\]{}]*[^\\s"'<>()[\\]{}.,;:!?]`;

// Masked in this order: a URL holds ids and numbers of its own, a UUID holds hex and digits,
// a time holds digits. A hex id has 8 digits at least, one of them a decimal digit and one a
// letter, so that words ("deadline") and plain numbers are left to the other rules.
const MASKS: [RegExp, string][] = [
  [new RegExp(`\\b[a-z][a-z0-9+.-]*://${URL_SOURCE}`, 'gi'), '<url>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>'],
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<time>'],
  [/\b(?:0x)?(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<id>'],
  [/\b0x[0-9a-f]+\b/gi, '<id>'],
  [/\b\d+(?:\.\d+)*\b/g, '<n>'],
];

/**
 * The error's kind and message (its first line: `Name: message`, the stack left out) with
 * what differs from one message to the next masked: URLs (`<url>`), UUIDs and hex ids
 * (`<id>`), times (`<time>`) and numbers (`<n>`). `DeliveryFailedError: HTTP 503 from
 * https://shop.example/hook?o=7` becomes `DeliveryFailedError: HTTP <n> from <url>`.
 */
export function fingerprintOf(error: string): string {
  const firstLine = error.split('\n', 1)[0];
  const masked = MASKS.reduce((text, [pattern, mask]) => text.replace(pattern, mask), firstLine);
  return masked.replace(/\s+/g, ' ').trim().slice(0, FINGERPRINT_LENGTH);
}

/** The origin of an http(s) URL (or origin), as the endpoints of notify name it; null for anything else. */
export function originOf(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : null;
  } catch {
    return null;
  }
}

/** The origin of the first http(s) URL in the error's first line; null when it names none. */
export function endpointIn(error: string): string | null {
  const firstLine = error.split('\n', 1)[0];
  for (const [url] of firstLine.matchAll(new RegExp(`\\bhttps?://${URL_SOURCE}`, 'gi'))) {
    const origin = originOf(url);
    if (origin) return origin;
  }
  return null;
}

/**
 * The group of one failure: its handler, its error's fingerprint, and the endpoint it failed
 * against: the one the failure names (`endpoint`), else the first URL of its error.
 */
export function failureGroupOf(handler: string, error: string, endpoint?: string | null): FailureGroup {
  const fingerprint = fingerprintOf(error);
  const origin = originOf(endpoint) ?? endpointIn(error);
  const key = createHash('sha256').update(JSON.stringify([handler, fingerprint, origin])).digest('hex').slice(0, 16);
  return { key, fingerprint, endpoint: origin };
}
