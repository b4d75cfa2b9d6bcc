/** One failed attempt of a handler, as it travels in the `x-errors` header and piles up in a failure record. */
export interface AttemptError {
  attempt: number;
  at: string;
  error: string;
}

const SUMMARY_LENGTH = 500;

/** One failed attempt, short enough to travel in a header and pile up in a row. */
export function summariseAttempt(attempt: number, error: unknown): AttemptError {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { attempt, at: new Date().toISOString(), error: text.slice(0, SUMMARY_LENGTH) };
}

/** An error as stored with a failure: its message and the top of its stack. */
export function describeError(error: unknown, stackLines = 4): string {
  if (!(error instanceof Error)) return String(error);
  const frames = (error.stack ?? '').split('\n').slice(1, 1 + stackLines).map((line) => line.trim());
  return [`${error.name}: ${error.message}`, ...frames].join('\n');
}
