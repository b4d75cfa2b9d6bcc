import type { ConsumeMessage } from 'amqplib';
import type { AttemptError } from '../failed-messages/failed-message.entity';

/** Headers we own; RabbitMQ 4 no longer honours a re-published `x-death`, so the count travels here. */
export const ATTEMPT_HEADER = 'x-attempt';
export const ERRORS_HEADER = 'x-errors';
/** On a re-run: the failed_messages row it re-runs. */
export const RERUN_HEADER = 'x-rerun';
export const POISON_HEADER = 'x-poison';

export function readAttempt(message: ConsumeMessage): number {
  const value = Number(message.properties.headers?.[ATTEMPT_HEADER] ?? 1);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}

export function readErrors(message: ConsumeMessage): AttemptError[] {
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
export function storedHeaders(message: ConsumeMessage): Record<string, unknown> {
  const {
    'x-death': _death,
    'x-first-death-exchange': _exchange,
    'x-first-death-queue': _queue,
    'x-first-death-reason': _reason,
    [ERRORS_HEADER]: _errors,
    ...rest
  } = message.properties.headers ?? {};
  return rest;
}
