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
  @ApiProperty({ type: 'integer', description: 'requests in flight at once, at most, now: the adaptive limit, under the cap ops set if any' }) concurrency: number;
  @ApiProperty({ description: 'whether no cap is set by ops (the adaptive limit alone decides)' }) concurrencyIsDefault: boolean;
  @ApiProperty({ description: 'the adaptive limit, between NOTIFY_ENDPOINT_CONCURRENCY_MIN and _MAX', example: 12.4 }) adaptiveLimit: number;
  @ApiPropertyOptional({ type: 'integer', description: 'the cap ops set: never more requests at once than this' }) concurrencyCap?: number;
  @ApiProperty({ type: 'integer', description: "notifications waiting for a slot, in every process's line" }) waiting: number;
  @ApiPropertyOptional({ type: 'integer', description: 'p50 of the last 100 attempts, ms' }) latencyP50Ms?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'p99 of the last 100 attempts, ms' }) latencyP99Ms?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'requests a second, at most; absent: no limit' }) rateLimit?: number;
  @ApiProperty({ type: 'integer', description: 'attempts in flight now, in every process' }) inFlight: number;
  @ApiProperty({ type: 'integer' }) attemptsLastHour: number;
  @ApiProperty({ type: 'integer' }) failuresLastHour: number;
  @ApiPropertyOptional({ format: 'date-time' }) lastSuccessAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) lastFailureAt?: string;
  @ApiPropertyOptional() lastError?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'OPEN or HALF_OPEN: when the circuit opened' }) openedAt?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'OPEN: when NOTIFY_CIRCUIT_COOLDOWN ends; the first attempt from then on is the one probe' }) cooldownEndsAt?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'HALF_OPEN: when the probe went out; its outcome closes the circuit or opens it again' }) probeSentAt?: string;
}

export class EndpointList {
  @ApiProperty({ type: [EndpointView] }) items: EndpointView[];
  @ApiProperty({ nullable: true, type: 'string', description: 'pass as `cursor` for the next page; null on the last' }) nextCursor: string | null;
}
