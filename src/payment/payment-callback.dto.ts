import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, IsUUID, MaxLength, Min, MinLength } from 'class-validator';

export const CALLBACK_STATUSES = ['TRADE_SUCCESS', 'TRADE_CLOSED'] as const;

export class PaymentCallbackDto {
  @ApiProperty() @IsUUID()
  orderId: string;

  @ApiProperty() @IsString() @MinLength(1) @MaxLength(128)
  tradeNo: string;

  @ApiProperty({ enum: CALLBACK_STATUSES }) @IsIn(CALLBACK_STATUSES)
  status: (typeof CALLBACK_STATUSES)[number];

  @ApiProperty({ description: 'minor units' }) @IsInt() @Min(0)
  amount: number;
}
