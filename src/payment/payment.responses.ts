import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The response schemas of the payment API, for the OpenAPI document. */
export class PaidAnswer {
  @ApiProperty({ enum: ['PAID'] }) status: 'PAID';
  @ApiProperty({ description: "the gateway's trade number" }) tradeNo: string;
}

export class PaymentPendingAnswer {
  @ApiProperty({ enum: ['PAYMENT_PENDING'], description: 'the gateway did not answer in time; the check-back settles it' }) status: 'PAYMENT_PENDING';
}

export class DeclinedAnswer {
  @ApiProperty({ enum: ['DECLINED'] }) status: 'DECLINED';
  @ApiPropertyOptional() reason?: string;
}

export class PaymentIncidentView {
  @ApiProperty({ type: 'integer' }) id: number;
  @ApiProperty({ format: 'uuid' }) orderId: string;
  @ApiProperty() tradeNo: string;
  @ApiProperty({ type: 'integer', description: 'minor units' }) amount: number;
  @ApiProperty({ description: "the order's status when the payment arrived" }) orderStatus: string;
  @ApiProperty({ enum: ['callback', 'direct', 'check-back'] }) source: string;
  @ApiProperty({ format: 'date-time' }) receivedAt: string;
}

export class PaymentIncidentList {
  @ApiProperty({ type: [PaymentIncidentView] }) items: PaymentIncidentView[];
}
