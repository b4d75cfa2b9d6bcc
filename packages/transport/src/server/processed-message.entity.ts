import { CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A handler's effect and this row commit together, so a redelivery finds it and does nothing (G2). */
@Entity('processed_messages')
// Retention deletes the oldest first (PROCESSED_RETENTION).
@Index('processed_messages_processed_at', ['processedAt'])
export class ProcessedMessage {
  @PrimaryColumn({ type: 'text' })
  handler: string;

  @PrimaryColumn({ name: 'message_id', type: 'uuid' })
  messageId: string;

  @CreateDateColumn({ name: 'processed_at', type: 'timestamptz' })
  processedAt: Date;
}
