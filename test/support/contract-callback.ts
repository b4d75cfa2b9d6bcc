import { createHmac } from 'node:crypto';
import { Answer, http } from './http';
import { CALLBACK_SECRET } from './test-world';

export interface CallbackBody {
  orderId: string;
  tradeNo: string;
  status: 'TRADE_SUCCESS' | 'TRADE_CLOSED';
  amount: number;
}

/** `hex(HMAC-SHA256(secret, rawBody))`, as a gateway signs its callback (SPEC §4). */
export function signCallback(rawBody: string, secret = CALLBACK_SECRET): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** POSTs a gateway callback; signed with the test secret unless a signature is given (null: none). */
export function postCallback(base: string, body: CallbackBody | Record<string, unknown>, signature?: string | null): Promise<Answer> {
  const rawBody = JSON.stringify(body);
  const headers: Record<string, string> = {};
  if (signature !== null) headers['x-signature'] = signature ?? signCallback(rawBody);
  return http(base, 'POST', '/payments/callback', { rawBody, headers });
}
