import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { IsCleanText } from '../common/clean-text.validator';
import type { SuccessRule } from './endpoint.entity';

export class UpdateEndpointBody {
  @ApiPropertyOptional({ enum: ['body', '2xx'], description: 'body: the trimmed answer is NOTIFY_SUCCESS_BODY; 2xx: any 2xx' })
  @IsOptional() @IsIn(['body', '2xx'])
  successRule?: SuccessRule;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, nullable: true, description: 'requests in flight at once, at most; null: NOTIFY_ENDPOINT_CONCURRENCY' })
  @ValidateIf((_, value) => value !== null && value !== undefined) @IsInt() @Min(1) @Max(100)
  concurrency?: number | null;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 10000, nullable: true, description: 'requests per second, at most; null: no limit' })
  @ValidateIf((_, value) => value !== null && value !== undefined) @IsInt() @Min(1) @Max(10_000)
  rateLimit?: number | null;
}

export class RecoverEndpointBody {
  @ApiProperty({ example: '2026-11-22T00:00:00Z', description: 'failed notifications whose first failure is at or after this are re-run' })
  @IsISO8601({ strict: true })
  since: string;
}

export class ListEndpointsQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 100 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit = 100;

  @ApiPropertyOptional({ maxLength: 400, description: '`nextCursor` of the previous page' })
  @IsOptional() @IsString() @MaxLength(400) @IsCleanText()
  cursor?: string;
}
