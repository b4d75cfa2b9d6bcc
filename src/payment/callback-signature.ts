import { createHmac, timingSafeEqual } from 'node:crypto';

/** `X-Signature: hex(HMAC-SHA256(secret, rawBody))`, compared in constant time. */
export function isValidCallbackSignature(secret: string, rawBody: Buffer, signature: string | undefined): boolean {
  if (!signature || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
