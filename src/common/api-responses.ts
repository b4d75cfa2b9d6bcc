import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';

/** docs/http-api.md: every error answers `{ statusCode, error, message }`; domain errors add a `code`. */
export class ErrorBody {
  @ApiProperty({ type: 'integer', example: 400 }) statusCode: number;
  @ApiProperty({ example: 'Bad Request' }) error: string;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }, { type: 'object', additionalProperties: { type: 'string' } }],
    description: 'what is wrong: field by field for validation',
  })
  message: string | string[] | Record<string, string>;
  @ApiPropertyOptional({ example: 'ORDER_NOT_FOUND', description: 'the domain error code, when there is one' }) code?: string;
}

const MEANING: Record<number, string> = {
  400: 'the input is malformed or fails validation; nothing changed',
  401: 'missing or wrong credentials (bearer token, or signature)',
  402: 'the gateway declined the charge; the order stays payable',
  404: 'no such resource',
  409: 'the resource is not in a state that allows this',
  413: 'the body is over 64 KiB',
  422: 'understood but refused (unknown SKU, amount too large, idempotency key reused with another body, setting not enforced)',
  429: 'too many requests from this client address on this route (RATE_LIMIT_ORDERS, off unless set): retry after Retry-After seconds',
  503: 'the database (or, for readiness, the broker) cannot be reached; retry shortly',
};

const HEADERS: Partial<Record<number, Record<string, { description: string; schema: { type: 'integer' } }>>> = {
  429: { 'Retry-After': { description: 'whole seconds until the window lets this client in again', schema: { type: 'integer' } } },
};

/** Documents the error statuses an operation answers, each with the shared error body. */
export function ApiErrors(...statuses: (keyof typeof MEANING)[]) {
  return applyDecorators(...statuses.map((status) => ApiResponse({ status, description: MEANING[status], type: ErrorBody, headers: HEADERS[status] })));
}

export class CountAnswer {
  @ApiProperty({ type: 'integer', description: 'how many messages were re-run' }) count: number;
}
