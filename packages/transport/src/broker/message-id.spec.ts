import type { Message } from 'amqplib';
import { messageIdOf } from './message-id';

function message(messageId: unknown, deliveryTag = 7): Message {
  return { content: Buffer.from('{}'), fields: { deliveryTag }, properties: { messageId, headers: {} } } as unknown as Message;
}

describe('messageIdOf', () => {
  it("is the message's own id", () => {
    expect(messageIdOf(message('3f1c2a4e-0000-4000-8000-000000000001'))).toBe('3f1c2a4e-0000-4000-8000-000000000001');
  });

  it('keeps an id that is not a UUID as it is', () => {
    expect(messageIdOf(message('report-without-queue'))).toBe('report-without-queue');
  });

  it('makes one up from the time and the delivery tag when there is none', () => {
    const before = Date.now();
    const made = messageIdOf(message(undefined, 42));
    const match = /^no-id:(\d+):42$/.exec(made);
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThanOrEqual(before);
    expect(Number(match![1])).toBeLessThanOrEqual(Date.now());
  });
});
