import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

export class SetStockDto {
  @ApiProperty({ minimum: 0, example: 100 })
  @IsInt() @Min(0) @Max(2_147_483_647)
  available: number;

  @ApiProperty({ minimum: 0, description: 'minor units', example: 4242 })
  @IsInt() @Min(0) @Max(Number.MAX_SAFE_INTEGER)
  unitPrice: number;
}

export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
