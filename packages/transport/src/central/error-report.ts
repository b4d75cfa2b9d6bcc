import type { Message } from 'amqplib';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import type { AttemptError } from '../broker/attempt-error';
import { ATTEMPT_HEADER, ERRORS_HEADER, FAILED_QUEUE_HEADER, failureHeaders, POISON_HEADER, storedHeaders } from '../broker/message-headers';
import { InvalidMessageError, validShape } from '../validation';

/** A service's queue: a plain name, never one of backstop's own central queues. */
export const SERVICE_QUEUE = /^(?!backstop\.)[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;
const SERVICE_QUEUE_MESSAGE = '$property must be a queue name of letters, digits and _ . : - (at most 200), not starting with backstop.';

export class InvalidReportError extends InvalidMessageError {
  readonly name = 'InvalidReportError';
}

/** A message a service gave up on, as backstop records it in `failed_messages` and shows it in its console. */
export interface ErrorReport {
  queue: string;
  messageId: string;
  routingKey: string | null;
  /** The body exactly as the service received it (poison may not be JSON). */
  payload: string;
  headers: Record<string, unknown>;
  attempts: number;
  errors: AttemptError[];
  poison: boolean;
}

/** The headers of a report: the message's own, its service's queue, its attempts and their errors. */
export function errorReportHeaders(queue: string, message: Message, attempt: number, errors: AttemptError[], poison: boolean): Record<string, unknown> {
  return { ...failureHeaders(message, attempt, errors, poison), [FAILED_QUEUE_HEADER]: queue };
}

class AttemptErrorShape {
  @IsInt() @Min(1) attempt: number;
  @IsISO8601() at: string;
  @IsString() @MaxLength(10_000) error: string;
}

class ReportShape {
  @IsString() @Matches(SERVICE_QUEUE, { message: SERVICE_QUEUE_MESSAGE }) queue: string;
  @IsString() @Length(1, 255) messageId: string;
  @IsOptional() @IsString() @MaxLength(255) routingKey?: string;
  @IsInt() @Min(1) @Max(1_000_000) attempts: number;
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10_000) @ValidateNested({ each: true }) @Type(() => AttemptErrorShape) errors: AttemptErrorShape[];
  @IsOptional() @IsBoolean() poison?: boolean;
}

/**
 * Reads a report off `backstop.errors`. Its fields travel in headers and properties, so
 * that the body stays the message exactly as the service got it; each is checked, and a
 * report that fails is refused as a whole, naming what is wrong.
 */
export function readErrorReport(message: Message): ErrorReport {
  const headers = message.properties.headers ?? {};
  const shape = validShape(
    ReportShape,
    {
      queue: text(headers[FAILED_QUEUE_HEADER]),
      messageId: message.properties.messageId,
      routingKey: message.properties.type,
      attempts: headers[ATTEMPT_HEADER],
      errors: parsedErrors(headers[ERRORS_HEADER]),
      poison: headers[POISON_HEADER],
    },
    InvalidReportError,
    'error report',
  );
  const { [FAILED_QUEUE_HEADER]: _queue, ...kept } = storedHeaders(message);
  return {
    queue: shape.queue,
    messageId: shape.messageId,
    routingKey: shape.routingKey ?? null,
    payload: message.content.toString('utf8'),
    headers: kept,
    attempts: shape.attempts,
    errors: shape.errors.map(({ attempt, at, error }) => ({ attempt, at, error })),
    poison: shape.poison === true,
  };
}

function text(value: unknown): unknown {
  return Buffer.isBuffer(value) ? value.toString() : value;
}

function parsedErrors(value: unknown): unknown {
  const raw = text(value);
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    throw new InvalidReportError(`error report: ${ERRORS_HEADER} is not JSON`);
  }
}
