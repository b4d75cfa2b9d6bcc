import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The response schemas of the deliveries and endpoints API, for the OpenAPI document. */
export class DeliveryView {
  @ApiProperty({ type: 'integer' }) id: number;
  @ApiProperty({ format: 'uuid', description: 'the webhook-id the merchant received' }) eventId: string;
  @ApiProperty({ format: 'uuid', type: 'string', nullable: true, description: "null for a merchant's test event, which belongs to no order" }) orderId: string | null;
  @ApiProperty({ type: 'integer' }) attempt: number;
  @ApiProperty({ format: 'date-time' }) attemptedAt: string;
  @ApiProperty() url: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: 'string' }) endpoint: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) httpStatus: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) durationMs: number | null;
  @ApiProperty({ type: 'boolean', nullable: true, description: 'null while the outcome is not recorded' }) delivered: boolean | null;
  @ApiProperty({ nullable: true, type: 'string' }) error: string | null;
  @ApiProperty({ nullable: true, type: 'string', description: "the first 1 KiB of the merchant's answer" }) responseSnippet: string | null;
}

export class DeliveryPage {
  @ApiProperty({ type: [DeliveryView] }) items: DeliveryView[];
  @ApiProperty({ nullable: true, type: 'string', description: 'pass as `cursor` for the next page; null on the last' }) nextCursor: string | null;
}

export class EndpointView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'https://merchant.example:443' }) origin: string;
  @ApiProperty({ enum: ['ACTIVE', 'OPEN', 'HALF_OPEN', 'DISABLED'] }) state: string;
  @ApiPropertyOptional({ example: '410 Gone' }) disabledReason?: string;
  @ApiProperty({ enum: ['body', '2xx'] }) successRule: string;
  @ApiProperty({ type: 'integer', description: 'requests in flight at once, at most' }) concurrency: number;
  @ApiProperty({ description: 'whether concurrency is the platform default (NOTIFY_ENDPOINT_CONCURRENCY)' }) concurrencyIsDefault: boolean;
  @ApiPropertyOptional({ type: 'integer', description: 'requests a second, at most; absent: no limit' }) rateLimit?: number;
  @ApiProperty({ type: 'integer', description: 'attempts in flight now, in every process' }) inFlight: number;
  @ApiProperty({ type: 'integer' }) attemptsLastHour: number;
  @ApiProperty({ type: 'integer' }) failuresLastHour: number;
  @ApiPropertyOptional({ format: 'date-time' }) lastSuccessAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) lastFailureAt?: string;
  @ApiPropertyOptional() lastError?: string;
}

export class EndpointList {
  @ApiProperty({ type: [EndpointView] }) items: EndpointView[];
  @ApiProperty({ nullable: true, type: 'string', description: 'pass as `cursor` for the next page; null on the last' }) nextCursor: string | null;
}
