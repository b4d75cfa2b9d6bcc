import { ApiProperty } from '@nestjs/swagger';

/** The response schemas of health and the ops summary, for the OpenAPI document. */
export class LiveAnswer {
  @ApiProperty({ enum: ['ok'] }) status: string;
}

export class ReadyAnswer {
  @ApiProperty({ enum: ['ok'] }) status: string;
  @ApiProperty({ enum: ['up'] }) database: string;
  @ApiProperty({ enum: ['up'] }) broker: string;
}

class PartsDown {
  @ApiProperty({ enum: ['up', 'down'] }) database: string;
  @ApiProperty({ enum: ['up', 'down', 'refusing'], description: 'refusing: connected, but the broker refuses a declare or publish (e.g. 403 after a permission change)' }) broker: string;
  @ApiProperty({ required: false, description: 'what the broker refuses and how to fix it' }) brokerRefusal?: string;
}

export class NotReadyAnswer {
  @ApiProperty({ enum: [503] }) statusCode: number;
  @ApiProperty({ example: 'Service Unavailable' }) error: string;
  @ApiProperty({ type: PartsDown, description: 'which part is down' }) message: PartsDown;
}

class FailedMessageCounts {
  @ApiProperty({ type: 'integer' }) FAILED: number;
  @ApiProperty({ type: 'integer' }) RETRYING: number;
  @ApiProperty({ type: 'integer' }) RESOLVED: number;
  @ApiProperty({ type: 'integer' }) DISCARDED: number;
}

class OutboxCounts {
  @ApiProperty({ type: 'integer' }) ready: number;
  @ApiProperty({ type: 'integer' }) prepare: number;
  @ApiProperty({ type: 'integer', description: 'PREPARE rows the gateway has not settled after several check-backs' }) stuck: number;
  @ApiProperty({ type: 'number', nullable: true }) oldestAgeSeconds: number | null;
}

export class SummaryAnswer {
  @ApiProperty({ type: FailedMessageCounts }) failedMessages: FailedMessageCounts;
  @ApiProperty({ type: OutboxCounts }) outbox: OutboxCounts;
  @ApiProperty({ type: 'integer' }) paymentIncidents: number;
}
