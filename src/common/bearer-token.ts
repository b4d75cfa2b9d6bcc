import { createHash, timingSafeEqual } from 'node:crypto';

/** The token of an `Authorization: Bearer <token>` header; empty when there is none. */
export function presentedBearer(authorization: string | undefined): string {
  return /^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? '';
}

/**
 * Whether the presented token is the expected one, in time that depends on neither: both are
 * hashed to one length first, so not even the token's length leaks through the timing.
 */
export function isSameToken(expected: string, presented: string): boolean {
  const digest = (token: string) => createHash('sha256').update(token).digest();
  return presented.length > 0 && timingSafeEqual(digest(expected), digest(presented));
}
