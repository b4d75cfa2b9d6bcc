import { ApiProperty } from '@nestjs/swagger';

export class OutboxRowView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['PREPARE', 'READY'] }) state: string;
  @ApiProperty({ nullable: true, type: 'string', example: 'order.paid' }) routingKey: string | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true, description: 'the event envelope (READY rows)' }) envelope: Record<string, unknown> | null;
  @ApiProperty({ nullable: true, type: 'string', description: 'what a PREPARE row waits on, e.g. a gateway charge' }) kind: string | null;
  @ApiProperty({ nullable: true, type: 'string', description: 'the id to check back with (the order id)' }) checkBackId: string | null;
  @ApiProperty({ type: 'integer' }) attempts: number;
  @ApiProperty({ nullable: true, type: 'string' }) lastError: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) nextAttemptAt: string;
  @ApiProperty({ description: 'a PREPARE row that needs a human' }) stuck: boolean;
}

export class OutboxList {
  @ApiProperty({ type: [OutboxRowView], description: 'oldest first, at most 500' }) items: OutboxRowView[];
}
