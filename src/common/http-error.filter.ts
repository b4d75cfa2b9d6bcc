import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { DomainErrorKind, DomainException } from './domain.exception';

const STATUS: Record<DomainErrorKind, HttpStatus> = {
  'not-found': HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  unprocessable: HttpStatus.UNPROCESSABLE_ENTITY,
  invalid: HttpStatus.BAD_REQUEST,
  unauthorized: HttpStatus.UNAUTHORIZED,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

// Connection refused/reset, admin shutdown, cannot connect now, too many connections,
// database not accepting connections, connection failures; a pool timeout by its message.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '53300', '55000', '08001', '08006']);
const UNAVAILABLE_MESSAGE = /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/i;

/**
 * The HTTP edge for errors: domain errors become their status with
 * `{ statusCode, error, message, code }`; a database that cannot be reached becomes
 * 503 at once (G7) rather than a 500; an HttpException with a bare message (Fastify's
 * own errors) gets the same `{ statusCode, error, message }`; a bug is a 500 in the same shape; other HTTP exceptions are Nest's default.
 */
@Catch()
export class HttpErrorFilter extends BaseExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost) {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof DomainException) {
      const statusCode = STATUS[exception.kind];
      reply.status(statusCode).send({ statusCode, error: statusText(statusCode), message: exception.message, code: exception.code });
      return;
    }
    if (isDatabaseUnavailable(exception)) {
      reply.status(503).send({ statusCode: 503, error: 'Service Unavailable', message: 'the database is unavailable; retry shortly' });
      return;
    }
    // Malformed JSON, an empty JSON body, a body over the limit (413): Nest turns Fastify's
    // errors into an HttpException with a bare message, which it would answer without `error`.
    if (exception instanceof HttpException && typeof exception.getResponse() === 'string' && HttpStatus[exception.getStatus()]) {
      const statusCode = exception.getStatus();
      reply.status(statusCode).send({ statusCode, error: statusText(statusCode), message: exception.getResponse() });
      return;
    }
    if (!(exception instanceof HttpException)) {
      // A bug, not the caller's fault: log it whole, answer in the contract's shape, reveal nothing.
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
      reply.status(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
      return;
    }
    super.catch(exception, host);
  }
}

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: string }).code ?? (error as { driverError?: { code?: string } }).driverError?.code;
  return UNAVAILABLE_CODES.has(code ?? '') || UNAVAILABLE_MESSAGE.test(error.message);
}

function statusText(status: number): string {
  return HttpStatus[status]
    .toLowerCase()
    .split('_')
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join(' ');
}
