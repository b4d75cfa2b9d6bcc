import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { IsCleanText } from '../common/clean-text.validator';
import { IsMinorUnits } from '../common/minor-units.validator';

export const CALLBACK_STATUSES = ['TRADE_SUCCESS', 'TRADE_CLOSED'] as const;

export class PaymentCallbackDto {
  @ApiProperty() @IsUUID()
  orderId: string;

  @ApiProperty({ minLength: 1, maxLength: 128 }) @IsString() @MinLength(1) @MaxLength(128) @IsCleanText()
  tradeNo: string;

  @ApiProperty({ enum: CALLBACK_STATUSES }) @IsIn(CALLBACK_STATUSES)
  status: (typeof CALLBACK_STATUSES)[number];

  @ApiProperty({ description: 'minor units', type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) @IsMinorUnits()
  amount: number;
}
