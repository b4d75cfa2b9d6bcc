import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsCleanText } from '../../common/clean-text.validator';
import type { FailedMessageStatus } from './failed-message.entity';
import { FAILURE_GROUP_KEY } from './failure-group';

export const FAILED_MESSAGE_STATUSES: FailedMessageStatus[] = ['FAILED', 'RETRYING', 'RESOLVED', 'DISCARDED'];

/** The statuses failure groups are listed for: the messages that still need ops. */
export const FAILURE_GROUP_STATUSES = ['FAILED', 'RETRYING'] as const;

/** An instant: a time of day with its offset. A date alone, or a time without an offset, would be read in the server's own zone. */
const WITH_OFFSET = /T[\d:.,]+(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$/;
const INSTANT_MESSAGE = (name: string) => `${name} must be an ISO 8601 time with its offset, such as 2026-11-22T00:00:00Z`;

export class ListFailedMessagesQuery {
  @ApiPropertyOptional({ enum: FAILED_MESSAGE_STATUSES })
  @IsOptional() @IsIn(FAILED_MESSAGE_STATUSES)
  status?: FailedMessageStatus;

  @ApiPropertyOptional({ example: 'notify.merchant', maxLength: 200 })
  @IsOptional() @IsString() @MaxLength(200) @IsCleanText()
  handler?: string;

  @ApiPropertyOptional({
    description: "a message id, an order id or a routing key, whole; from 3 characters also a part of a message id, of an order id or of the last error's kind and message (`HTTP 500`), in any case",
    maxLength: 200,
  })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(200) @IsCleanText()
  q?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-11-22T00:00:00Z', description: 'messages that first failed at or after this time' })
  @IsOptional() @IsISO8601({ strict: true }, { message: INSTANT_MESSAGE('from') }) @Matches(WITH_OFFSET, { message: INSTANT_MESSAGE('from') })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-11-23T00:00:00Z', description: 'messages that first failed before this time; after `from` when both are given' })
  @IsOptional() @IsISO8601({ strict: true }, { message: INSTANT_MESSAGE('to') }) @Matches(WITH_OFFSET, { message: INSTANT_MESSAGE('to') })
  to?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'only the messages of this order' })
  @IsOptional() @IsUUID()
  orderId?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit = 50;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional() @IsString() @MaxLength(200) @IsCleanText()
  cursor?: string;
}

export class RetryFailedMessagesBody {
  @ApiPropertyOptional({ example: 'notify.merchant', maxLength: 200 })
  @IsOptional() @IsString() @MaxLength(200) @IsCleanText()
  handler?: string;

  @ApiPropertyOptional({ enum: ['FAILED', 'RETRYING'], default: 'FAILED' })
  @IsOptional() @IsIn(['FAILED', 'RETRYING'])
  status?: 'FAILED' | 'RETRYING';
}

export class DiscardFailedMessageBody {
  @ApiProperty({ minLength: 1, maxLength: 1000, example: 'merchant closed its account' })
  @IsString() @MinLength(1) @MaxLength(1000) @IsCleanText()
  reason: string;
}

export class ListFailureGroupsQuery {
  @ApiPropertyOptional({ enum: FAILURE_GROUP_STATUSES, default: 'FAILED' })
  @IsOptional() @IsIn(FAILURE_GROUP_STATUSES)
  status: (typeof FAILURE_GROUP_STATUSES)[number] = 'FAILED';

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 100, description: 'the groups seen last' })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit = 100;
}

export class FailureGroupParams {
  @ApiProperty({ pattern: FAILURE_GROUP_KEY.source, example: '3f9c0a51d2e84b67', description: 'a key GET /admin/failure-groups lists' })
  @Matches(FAILURE_GROUP_KEY, { message: 'key must be a failure group key (16 hex digits, as GET /admin/failure-groups lists it)' })
  key: string;
}
