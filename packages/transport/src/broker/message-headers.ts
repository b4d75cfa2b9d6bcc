import type { Message } from 'amqplib';
import type { AttemptError } from './attempt-error';

/** Headers we own; RabbitMQ 4 no longer honours a re-published `x-death`, so the count travels here. */
export const ATTEMPT_HEADER = 'x-attempt';
export const ERRORS_HEADER = 'x-errors';
/** On a re-run: the failed_messages row it re-runs. */
export const RERUN_HEADER = 'x-rerun';
export const POISON_HEADER = 'x-poison';
/** On a report to `backstop.errors`: the queue of the service that gave up on the message. */
export const FAILED_QUEUE_HEADER = 'x-failed-queue';
/** Waits in a row without an attempt (its handler could not start yet); gone once it is tried. */
export const WAITS_HEADER = 'x-waits';

export function readAttempt(message: Message): number {
  const value = Number(message.properties.headers?.[ATTEMPT_HEADER] ?? 1);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}

/** How many times in a row the message has waited without being tried; 0 when it never has. */
export function readWaits(message: Message): number {
  const value = Number(message.properties.headers?.[WAITS_HEADER] ?? 0);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

/** The failed message a re-run from backstop's console re-runs (its `x-rerun` header), or undefined for an ordinary delivery. */
export function readRerun(message: Message): string | undefined {
  const value: unknown = message.properties.headers?.[RERUN_HEADER];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function readErrors(message: Message): AttemptError[] {
  const raw = message.properties.headers?.[ERRORS_HEADER];
  if (typeof raw !== 'string' && !Buffer.isBuffer(raw)) return [];
  try {
    const parsed: unknown = JSON.parse(raw.toString());
    return Array.isArray(parsed) ? (parsed as AttemptError[]) : [];
  } catch {
    return [];
  }
}

/**
 * The headers worth keeping with a message: the broker's dead-letter bookkeeping is
 * noise, and the errors so far are kept in their own column.
 */
export function storedHeaders(message: Message): Record<string, unknown> {
  const {
    'x-death': _death,
    'x-first-death-exchange': _exchange,
    'x-first-death-queue': _queue,
    'x-first-death-reason': _reason,
    [ERRORS_HEADER]: _errors,
    [WAITS_HEADER]: _waits,
    ...rest
  } = message.properties.headers ?? {};
  return rest;
}

/** The headers of the copy that goes to a delay queue after `attempt` failed. */
export function nextAttemptHeaders(message: Message, attempt: number, errors: AttemptError[]): Record<string, unknown> {
  return { ...storedHeaders(message), [ATTEMPT_HEADER]: attempt + 1, [ERRORS_HEADER]: JSON.stringify(errors) };
}

/** The headers of the copy that waits without counting an attempt: the attempt number and errors it came with, one wait more. */
export function sameAttemptHeaders(message: Message): Record<string, unknown> {
  const errors = message.properties.headers?.[ERRORS_HEADER];
  return {
    ...storedHeaders(message),
    [ATTEMPT_HEADER]: readAttempt(message),
    [WAITS_HEADER]: readWaits(message) + 1,
    ...(errors === undefined ? {} : { [ERRORS_HEADER]: errors }),
  };
}

/** The headers of a message set aside after `attempt`: what a failure record is made from. */
export function failureHeaders(message: Message, attempt: number, errors: AttemptError[], poison: boolean): Record<string, unknown> {
  return {
    ...storedHeaders(message),
    [ATTEMPT_HEADER]: attempt,
    [ERRORS_HEADER]: JSON.stringify(errors),
    ...(poison ? { [POISON_HEADER]: true } : {}),
  };
}

/**
 * The errors of a message found in a dead-letter queue: those it carries, or, when it was
 * dead-lettered before any was written (rejected in flight), one that says so.
 */
export function deadLetterErrors(message: Message, queue: string): AttemptError[] {
  const errors = readErrors(message);
  if (errors.length > 0) return errors;
  const reason = message.properties.headers?.['x-first-death-reason'];
  const error = `dead-lettered from ${queue}${reason ? ` (${String(reason)})` : ''}`;
  return [{ attempt: readAttempt(message), at: new Date().toISOString(), error }];
}
