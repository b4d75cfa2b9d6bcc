import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The body POSTed to a merchant's notifyUrl (docs/architecture.md#merchant-notification), documented in the OpenAPI `webhooks` section. */
export class MerchantNotification {
  @ApiProperty({ format: 'uuid', description: 'the notification id; the same as the webhook-id header' }) id: string;
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

class MerchantPingData {
  @ApiProperty({ example: 'shop-42' }) merchantId: string;
}

/** The test event ops send a merchant (POST /admin/merchants/:id/test), signed and sent like a notification. */
export class MerchantPing {
  @ApiProperty({ format: 'uuid', description: 'the same as the webhook-id header' }) id: string;
  @ApiProperty({ enum: ['ping'] }) type: string;
  @ApiProperty({ format: 'date-time' }) occurredAt: string;
  @ApiProperty({ type: MerchantPingData }) data: MerchantPingData;
}
