import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

/** docs/http-api.md: a unit price is at most 10^12 minor units, so an order's total is summed exactly. */
export const MAX_UNIT_PRICE = 1_000_000_000_000;
/**
 * `stock.available` is a PostgreSQL integer (at most 2^31 − 1). Setting it no higher than 10^9
 * leaves room for the releases of reservations still outstanding, which add back onto it.
 */
export const MAX_AVAILABLE = 1_000_000_000;

export class SetStockDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_AVAILABLE, example: 100 })
  @IsInt() @Min(0) @Max(MAX_AVAILABLE)
  available: number;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_UNIT_PRICE, description: 'minor units', example: 4242 })
  @IsInt() @Min(0) @Max(MAX_UNIT_PRICE)
  unitPrice: number;
}

export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
