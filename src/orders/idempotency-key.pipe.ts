import { BadRequestException, createParamDecorator, ExecutionContext, PipeTransform } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CLEAN_TEXT_RULE, isCleanText } from '../common/clean-text.validator';

export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/**
 * The optional `Idempotency-Key` header (docs/http-api.md): 1 to 255 characters, stored with the
 * order, so it follows the text rules of the body. Node already refuses NUL, CR and LF in a
 * header; a tab (U+0009) passes HTTP and is refused here.
 */
export class IdempotencyKeyPipe implements PipeTransform<string | undefined, string | undefined> {
  transform(value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    if (value.length < 1 || value.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
      throw new BadRequestException(`Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters`);
    }
    if (!isCleanText(value)) throw new BadRequestException(`Idempotency-Key ${CLEAN_TEXT_RULE}`);
    return value;
  }
}

const idempotencyKeyHeader = createParamDecorator((_: unknown, context: ExecutionContext) => {
  const value = context.switchToHttp().getRequest<FastifyRequest>().headers['idempotency-key'];
  return Array.isArray(value) ? value.join(', ') : value;
});

/** The `Idempotency-Key` header, checked by `IdempotencyKeyPipe` (`@Headers()` takes no pipes). */
export const IdempotencyKey = () => idempotencyKeyHeader(new IdempotencyKeyPipe());
