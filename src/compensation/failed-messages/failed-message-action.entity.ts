import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type FailedMessageActionKind = 'retry' | 'discard' | 'sweep';

/** Who did what to a failed message, and when: the ops audit trail shown with the row. */
@Entity('failed_message_actions')
@Index('failed_message_actions_message', ['failedMessageId', 'at'])
export class FailedMessageAction {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'failed_message_id', type: 'uuid' })
  failedMessageId: string;

  @Column({ type: 'text' })
  action: FailedMessageActionKind;

  /** The operator's token name, or `sweeper`. */
  @Column({ type: 'text' })
  actor: string;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at: Date;
}
