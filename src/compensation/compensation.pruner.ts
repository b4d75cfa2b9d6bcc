import { Injectable, OnModuleInit } from '@nestjs/common';
import { RetentionService } from '../retention/retention.service';

/**
 * What compensation keeps only for a while (SPEC §9, G10):
 * - `processed_messages` markers, for PROCESSED_RETENTION. A message redelivered after its
 *   marker is gone is refused by the domain state its handler checks (a RELEASED reservation,
 *   an order no longer PENDING or CONFIRMED, a DELIVERED notification), not by the marker.
 * - RESOLVED and DISCARDED failed messages with their ops actions, for HISTORY_RETENTION.
 *   FAILED and RETRYING rows are still needed and are never touched.
 */
@Injectable()
export class CompensationPruner implements OnModuleInit {
  constructor(private readonly retention: RetentionService) {}

  onModuleInit(): void {
    this.retention.register({ table: 'processed_messages', key: ['handler', 'message_id'], agedFrom: 'processed_at', retention: 'processed' });
    this.retention.register({
      table: 'failed_messages',
      key: ['id'],
      agedFrom: 'resolved_at',
      only: `status IN ('RESOLVED', 'DISCARDED')`,
      // The audit trail has no foreign key to its row: it goes in the same statement.
      dependents: { table: 'failed_message_actions', column: 'failed_message_id' },
      retention: 'history',
    });
  }
}
