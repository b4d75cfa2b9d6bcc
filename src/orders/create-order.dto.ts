import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsISO4217CurrencyCode,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { IsCleanText } from '../common/clean-text.validator';
import { IsHttpUrl } from '../common/is-http-url.validator';
import { SKU_PATTERN } from '../stock/stock.dto';

export class OrderItemDto {
  @ApiProperty({ example: 'SKU-1', maxLength: 64 })
  @IsString() @IsCleanText() @Matches(SKU_PATTERN, { message: 'sku must be 1 to 64 letters, digits, or . _ : -' })
  sku: string;

  @ApiProperty({ minimum: 1, maximum: 1000, example: 2 })
  @IsInt() @Min(1) @Max(1000)
  quantity: number;
}

export class CreateOrderDto {
  @ApiProperty({ example: 'merchant-42', minLength: 1, maxLength: 128, description: 'no control characters (U+0000–U+001F) or unpaired surrogates' })
  @IsString() @MinLength(1) @MaxLength(128) @IsCleanText()
  merchantId: string;

  @ApiProperty({ type: [OrderItemDto], minItems: 1, maxItems: 100 })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(100)
  @ArrayUnique((item: OrderItemDto) => item?.sku, { message: 'items must not name the same sku twice' })
  @ValidateNested({ each: true }) @Type(() => OrderItemDto)
  items: OrderItemDto[];

  @ApiProperty({ example: 'https://merchant.example/notify', maxLength: 2048 })
  // The URL parser would percent-encode a NUL, but the text is stored as given.
  @IsHttpUrl() @IsCleanText()
  notifyUrl: string;

  @ApiPropertyOptional({ default: 'CNY', example: 'CNY' })
  // Upper case only: `usd` and `USD` must not become two currencies (or two Idempotency-Key bodies).
  @IsOptional() @Matches(/^[A-Z]{3}$/, { message: 'currency must be an upper-case ISO 4217 code such as CNY' }) @IsISO4217CurrencyCode()
  currency?: string;
}
