import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FAILED_MESSAGE_STATUSES } from './failed-messages.dto';

/** The response schemas of the failed messages API (docs/http-api.md FailedMessage), for the OpenAPI document. */
export class FailedMessageView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'notify.merchant', description: "the handler's name, which is also its queue" }) handler: string;
  @ApiProperty() queue: string;
  @ApiProperty() messageId: string;
  @ApiProperty({ nullable: true, type: 'string', example: 'order.paid' }) routingKey: string | null;
  @ApiProperty({ nullable: true, type: 'string', format: 'uuid', description: 'the order the message is about, when it names one' }) orderId: string | null;
  @ApiProperty({ description: 'the envelope as JSON; as text when it is not JSON (poison) or cut in a list', oneOf: [{ type: 'object' }, { type: 'string' }] })
  payload: unknown;
  @ApiProperty({ description: 'true in a list when the payload was over 4 KiB and is cut' }) payloadTruncated: boolean;
  @ApiProperty({ type: 'object', additionalProperties: true }) headers: Record<string, unknown>;
  @ApiProperty({ description: 'the last error' }) error: string;
  @ApiProperty({ type: 'integer' }) attempts: number;
  @ApiProperty({ enum: FAILED_MESSAGE_STATUSES }) status: string;
  @ApiProperty({ description: 'the message could not be read: it is never re-run automatically' }) poison: boolean;
  @ApiProperty({ type: 'integer' }) sweepCount: number;
  @ApiProperty({ format: 'date-time' }) firstFailedAt: string;
  @ApiProperty({ format: 'date-time' }) lastFailedAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: 'string' }) nextSweepAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: 'string' }) resolvedAt: string | null;
  @ApiProperty({ nullable: true, type: 'string' }) discardReason: string | null;
}

export class FailedMessagePage {
  @ApiProperty({ type: [FailedMessageView] }) items: FailedMessageView[];
  @ApiProperty({ nullable: true, type: 'string', description: 'pass as `cursor` for the next page; null on the last' }) nextCursor: string | null;
}

export class AttemptErrorView {
  @ApiProperty({ type: 'integer' }) attempt: number;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty() error: string;
}

export class FailedMessageActionView {
  @ApiProperty({ enum: ['retry', 'sweep', 'discard'] }) action: string;
  @ApiProperty({ description: "the operator's name (ADMIN_TOKEN name:token), or sweeper" }) actor: string;
  @ApiPropertyOptional({ nullable: true, type: 'string' }) reason: string | null;
  @ApiProperty({ format: 'date-time' }) at: string;
}

export class FailedMessageDetailView extends FailedMessageView {
  @ApiProperty({ type: [AttemptErrorView], description: 'every failed attempt, re-runs included' }) errors: AttemptErrorView[];
  @ApiProperty({ type: [FailedMessageActionView], description: 'the audit trail' }) actions: FailedMessageActionView[];
}

export class FailedMessageStatusAnswer {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['RETRYING', 'DISCARDED'] }) status: string;
}

export class BulkRetryAnswer {
  @ApiProperty({ type: 'integer', description: 'how many messages were re-run' }) count: number;
  @ApiProperty({ type: 'integer', description: 'how many poison messages matched and were left alone: a re-run would fail the same way' }) skipped: number;
}

export class FailureGroupView {
  @ApiProperty({ example: '3f9c0a51d2e84b67', description: 'the group: its handler, fingerprint and endpoint, hashed' }) key: string;
  @ApiProperty({ example: 'notify.merchant' }) handler: string;
  @ApiProperty({ example: 'DeliveryFailedError: HTTP <n> from <url>', description: "the last error's kind and message, with ids, times, numbers and URLs masked" })
  fingerprint: string;
  @ApiProperty({ nullable: true, type: 'string', example: 'https://merchant.example', description: 'the origin the failures were against, when known' })
  endpoint: string | null;
  @ApiProperty({ type: 'integer', description: 'its messages in the status asked for' }) count: number;
  @ApiProperty({ format: 'date-time', description: 'the first failure of its oldest message' }) firstSeen: string;
  @ApiProperty({ format: 'date-time', description: 'the last failure of its newest message' }) lastSeen: string;
  @ApiProperty({ type: 'string', format: 'uuid', isArray: true, description: 'up to 3 of its failed messages, the newest first, poison last' }) samples: string[];
}

export class FailureGroupPage {
  @ApiProperty({ type: [FailureGroupView], description: 'the groups seen last first' }) items: FailureGroupView[];
}

export class FailureGroupRetryAnswer {
  @ApiProperty({ type: 'integer', description: 'how many of its FAILED messages were re-run' }) retried: number;
  @ApiProperty({ type: 'integer', description: 'how many of its FAILED messages are poison, left alone' }) skipped: number;
}

export class FailureGroupDiscardAnswer {
  @ApiProperty({ type: 'integer', description: 'how many of its FAILED messages were discarded' }) discarded: number;
}
