import { ApiProperty } from '@nestjs/swagger';
import { TIMELINE_KINDS } from './order-timeline';

/** The response schemas of GET /admin/orders/:id/timeline, for the OpenAPI document. */
class TimelineItem {
  @ApiProperty() sku: string;
  @ApiProperty({ type: 'integer' }) quantity: number;
  @ApiProperty({ type: 'integer', description: 'minor units' }) unitPrice: number;
}

export class TimelineOrder {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() merchantId: string;
  @ApiProperty({ enum: ['PENDING', 'CONFIRMED', 'PAID', 'REJECTED', 'CANCELLED'] }) status: string;
  @ApiProperty({ type: [TimelineItem] }) items: TimelineItem[];
  @ApiProperty({ type: 'integer', description: 'minor units' }) totalAmount: number;
  @ApiProperty({ example: 'CNY' }) currency: string;
  @ApiProperty() notifyUrl: string;
  @ApiProperty({ type: 'string', nullable: true }) reason: string | null;
  @ApiProperty({ type: 'string', nullable: true }) tradeNo: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) paidAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class TimelineEntryView {
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({
    enum: TIMELINE_KINDS,
    description:
      'order: placed, and its current status; event: an event the order\'s changes wrote; handler-run: a handler\'s effect or failed attempt; ' +
      'failure: a failed message; notification-attempt: one request to the merchant; payment: paid, a charge under way, a payment incident; ops-action: who did what',
  })
  kind: string;
  @ApiProperty({ example: 'Attempt 1 of order.paid to https://merchant.example: failed: HTTP 500 (HTTP 500, 12 ms)' }) summary: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'the facts behind the summary; fields depend on the kind' }) detail: Record<string, unknown>;
  @ApiProperty({ type: 'string', nullable: true, example: '/admin/failed-messages/0b9d…', description: 'the API path that tells more, or null' }) link: string | null;
}

export class OrderTimelineView {
  @ApiProperty({ type: TimelineOrder }) order: TimelineOrder;
  @ApiProperty({ type: [TimelineEntryView], description: 'oldest first' }) entries: TimelineEntryView[];
  @ApiProperty({ type: [String], description: 'what this timeline left out for this order (beyond its read limits), and where to find it' }) omitted: string[];
}
