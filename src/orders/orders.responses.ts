import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ORDER_STATUSES } from './order-state';

/** The response schemas of the orders API, for the OpenAPI document. */
export class OrderItemView {
  @ApiProperty({ example: 'SKU-1' }) sku: string;
  @ApiProperty({ type: 'integer', example: 2 }) quantity: number;
  @ApiProperty({ type: 'integer', description: 'minor units', example: 2100 }) unitPrice: number;
}

export class OrderCreatedView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ORDER_STATUSES }) status: string;
  @ApiProperty() merchantId: string;
  @ApiProperty({ type: [OrderItemView] }) items: OrderItemView[];
  @ApiProperty({ type: 'integer', description: 'minor units (4242 = 42.42)', example: 4200 }) totalAmount: number;
  @ApiProperty({ example: 'CNY' }) currency: string;
  @ApiProperty({ format: 'uri' }) notifyUrl: string;
  @ApiPropertyOptional({ description: 'why the order was rejected or cancelled' }) reason?: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class OrderPaymentView {
  @ApiProperty({ enum: ['PAID', 'PENDING'] }) status: string;
  @ApiPropertyOptional() tradeNo?: string;
  @ApiPropertyOptional({ format: 'date-time' }) paidAt?: string;
}

export class OrderNotificationView {
  @ApiProperty({ enum: ['NONE', 'PENDING', 'DELIVERED', 'FAILED', 'NOT_SUBSCRIBED'], description: 'NOT_SUBSCRIBED: the merchant does not take this event type, so it was not sent' }) state: string;
  @ApiProperty({ type: 'integer' }) attempts: number;
  @ApiPropertyOptional({ format: 'date-time' }) lastAttemptAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) nextAttemptAt?: string;
}

export class OrderDetailView extends OrderCreatedView {
  @ApiProperty({ type: OrderPaymentView, nullable: true }) payment: OrderPaymentView | null;
  @ApiProperty({ type: OrderNotificationView }) notification: OrderNotificationView;
}
