import { Answer } from './http';

/** The messages of an error body, whether `message` is one string or a list (validation). */
export function messagesOf(answer: Answer): string[] {
  const message = (answer.body as { message?: unknown })?.message;
  return Array.isArray(message) ? message.map(String) : [String(message)];
}

/**
 * SPEC §4: every error is `{ statusCode, error, message }` with the answered status, and
 * `message` (a string, or a list of strings for validation) says what is wrong: here, at
 * least one message must match `names`.
 */
export function expectError(answer: Answer, status: number, names?: RegExp): void {
  expect({ status: answer.status, text: answer.text }).toMatchObject({ status });
  const body = answer.body as Record<string, unknown>;
  expect(typeof body).toBe('object');
  expect(body.statusCode).toBe(status);
  expect(typeof body.error).toBe('string');
  expect((body.error as string).length).toBeGreaterThan(0);
  const message = body.message;
  const wellFormed =
    (typeof message === 'string' && message.length > 0) ||
    (Array.isArray(message) && message.length > 0 && message.every((entry) => typeof entry === 'string'));
  expect({ message, wellFormed }).toEqual({ message, wellFormed: true });
  if (names) expect({ messages: messagesOf(answer), matches: messagesOf(answer).some((entry) => names.test(entry)) }).toEqual({
    messages: messagesOf(answer),
    matches: true,
  });
}
