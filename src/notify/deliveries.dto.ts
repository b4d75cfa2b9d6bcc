import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, isUUID, IsUUID, Matches, Max, MaxLength, Min, ValidateBy } from 'class-validator';
import { IsCleanText } from '../common/clean-text.validator';
import { originProblem } from '../merchants/http-origin';

/** An instant with its offset: a time without one would be read in the server's own zone. */
const WITH_OFFSET = /(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$/;
const INSTANT_MESSAGE = (name: string) => `${name} must be an ISO 8601 time with its offset, such as 2026-11-22T00:00:00Z`;

/** The endpoint as ops know it: its id (GET /admin/endpoints) or its origin, as the Endpoints page shows it. */
export function isEndpointRef(value: unknown): boolean {
  return typeof value === 'string' && (isUUID(value) || originProblem(value) === undefined);
}

export class ListDeliveriesQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional() @IsUUID()
  orderId?: string;

  @ApiPropertyOptional({
    maxLength: 2048,
    description: 'an endpoint: its id (GET /admin/endpoints) or its origin, e.g. https://merchant.example (scheme://host[:port], as the endpoint lists it)',
    example: 'https://merchant.example',
  })
  @IsOptional() @IsString() @MaxLength(2048)
  @ValidateBy({ name: 'isEndpointRef', validator: { validate: isEndpointRef, defaultMessage: () => 'endpoint must be an endpoint id (a UUID) or an origin such as https://merchant.example' } })
  endpoint?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'attempts whose outcome is known: delivered or not' })
  @IsOptional() @IsIn(['true', 'false'])
  delivered?: 'true' | 'false';

  @ApiPropertyOptional({ format: 'date-time', example: '2026-11-22T00:00:00Z', description: 'attempts at or after this time' })
  @IsOptional() @IsISO8601({ strict: true }, { message: INSTANT_MESSAGE('from') }) @Matches(WITH_OFFSET, { message: INSTANT_MESSAGE('from') })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-11-23T00:00:00Z', description: 'attempts before this time; after `from` when both are given' })
  @IsOptional() @IsISO8601({ strict: true }, { message: INSTANT_MESSAGE('to') }) @Matches(WITH_OFFSET, { message: INSTANT_MESSAGE('to') })
  to?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 100 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit = 100;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional() @IsString() @MaxLength(200) @IsCleanText()
  cursor?: string;
}
