import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { IsCleanText } from '../common/clean-text.validator';

export class ListDeliveriesQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional() @IsUUID()
  orderId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'an endpoint id (GET /admin/endpoints)' })
  @IsOptional() @IsUUID()
  endpoint?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'attempts whose outcome is known: delivered or not' })
  @IsOptional() @IsIn(['true', 'false'])
  delivered?: 'true' | 'false';

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 100 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit = 100;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional() @IsString() @MaxLength(200) @IsCleanText()
  cursor?: string;
}
