import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsCleanText } from '../../common/clean-text.validator';
import type { FailedMessageStatus } from './failed-message.entity';

export const FAILED_MESSAGE_STATUSES: FailedMessageStatus[] = ['FAILED', 'RETRYING', 'RESOLVED', 'DISCARDED'];

export class ListFailedMessagesQuery {
  @ApiPropertyOptional({ enum: FAILED_MESSAGE_STATUSES })
  @IsOptional() @IsIn(FAILED_MESSAGE_STATUSES)
  status?: FailedMessageStatus;

  @ApiPropertyOptional({ example: 'notify.merchant', maxLength: 200 })
  @IsOptional() @IsString() @MaxLength(200) @IsCleanText()
  handler?: string;

  @ApiPropertyOptional({ description: 'an order id, a message id or a routing key', maxLength: 200 })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(200) @IsCleanText()
  q?: string;

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
