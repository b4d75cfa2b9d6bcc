import { Injectable, OnModuleInit } from '@nestjs/common';
import { deletedCount, RetentionService } from '../retention/retention.service';

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
    this.retention.register({
      table: 'processed_messages',
      retention: 'processed',
      pruneBatch: (manager, olderThanMs, limit) =>
        deletedCount(
          manager,
          `DELETE FROM processed_messages WHERE (handler, message_id) IN (
             SELECT handler, message_id FROM processed_messages
              WHERE processed_at < now() - $1 * interval '1 millisecond'
              ORDER BY processed_at LIMIT $2
                FOR UPDATE SKIP LOCKED)`,
          [olderThanMs, limit],
        ),
    });
    this.retention.register({
      table: 'failed_messages',
      retention: 'history',
      // The audit trail has no foreign key to its row: it goes in the same statement.
      pruneBatch: (manager, olderThanMs, limit) =>
        deletedCount(
          manager,
          `WITH closed AS (
             SELECT id FROM failed_messages
              WHERE status IN ('RESOLVED', 'DISCARDED') AND resolved_at < now() - $1 * interval '1 millisecond'
              ORDER BY resolved_at LIMIT $2
                FOR UPDATE SKIP LOCKED),
           actions AS (DELETE FROM failed_message_actions WHERE failed_message_id IN (SELECT id FROM closed))
           DELETE FROM failed_messages WHERE id IN (SELECT id FROM closed)`,
          [olderThanMs, limit],
        ),
    });
  }
}
