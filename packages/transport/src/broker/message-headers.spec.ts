import type { Message } from 'amqplib';
import { nextAttemptHeaders, readWaits, sameAttemptHeaders, WAITS_HEADER } from './message-headers';

const message = (headers: Record<string, unknown>) => ({ content: Buffer.from('{}'), fields: {}, properties: { headers } }) as unknown as Message;

describe('waits in a row (x-waits)', () => {
  it('counts one more each time the message waits, with its attempt unchanged', () => {
    const first = sameAttemptHeaders(message({ 'x-attempt': 2 }));
    expect(first).toMatchObject({ 'x-attempt': 2, [WAITS_HEADER]: 1 });
    expect(sameAttemptHeaders(message(first))).toMatchObject({ 'x-attempt': 2, [WAITS_HEADER]: 2 });
  });

  it('starts again once the message is tried', () => {
    const tried = nextAttemptHeaders(message({ 'x-attempt': 2, [WAITS_HEADER]: 3 }), 2, []);
    expect(tried[WAITS_HEADER]).toBeUndefined();
    expect(readWaits(message(tried))).toBe(0);
  });

  it('reads what is not a count as none', () => {
    expect(readWaits(message({ [WAITS_HEADER]: 'x' }))).toBe(0);
    expect(readWaits(message({ [WAITS_HEADER]: -1 }))).toBe(0);
  });
});
