import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The body POSTed to a merchant's notifyUrl (docs/architecture.md#merchant-notification), documented in the OpenAPI `webhooks` section. */
export class MerchantNotification {
  @ApiProperty({ format: 'uuid', description: 'the event id; the same as the webhook-id header' }) id: string;
  @ApiProperty({ enum: ['order.paid', 'order.rejected', 'order.cancelled'] }) type: string;
  @ApiProperty({ format: 'uuid' }) orderId: string;
  @ApiProperty() merchantId: string;
  @ApiProperty({ enum: ['PAID', 'REJECTED', 'CANCELLED'] }) status: string;
  @ApiProperty({ type: 'integer', description: 'minor units (4242 = 42.42)' }) totalAmount: number;
  @ApiProperty({ example: 'CNY' }) currency: string;
  @ApiPropertyOptional({ description: 'order.paid only' }) tradeNo?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'order.paid only' }) paidAt?: string;
  @ApiPropertyOptional({ description: 'order.rejected and order.cancelled, when known', example: 'payment timeout' }) reason?: string;
}
