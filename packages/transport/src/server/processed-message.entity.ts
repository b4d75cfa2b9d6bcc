import { CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A handler's effect and this row commit together, so a redelivery finds it and does
 * nothing: an event has its effect once. Created by `CreateProcessedMessages1700000000000`
 * or `sql/processed_messages.sql`.
 */
@Entity('processed_messages')
// For deleting old rows, oldest first.
@Index('processed_messages_processed_at', ['processedAt'])
export class ProcessedMessage {
  @PrimaryColumn({ type: 'text' })
  handler: string;

  @PrimaryColumn({ name: 'message_id', type: 'uuid' })
  messageId: string;

  @CreateDateColumn({ name: 'processed_at', type: 'timestamptz' })
  processedAt: Date;
}
