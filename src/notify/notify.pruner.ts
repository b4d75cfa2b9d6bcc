import { Injectable, OnModuleInit } from '@nestjs/common';
import { deletedCount, RetentionService } from '../retention/retention.service';

/**
 * What notify keeps only for HISTORY_RETENTION (SPEC §9, G10): the delivery log, and
 * notifications once DELIVERED. A PENDING or FAILED notification is still owed to its
 * merchant and is never pruned, however old.
 */
@Injectable()
export class NotifyPruner implements OnModuleInit {
  constructor(private readonly retention: RetentionService) {}

  onModuleInit(): void {
    this.retention.register({
      table: 'deliveries',
      retention: 'history',
      pruneBatch: (manager, olderThanMs, limit) =>
        deletedCount(
          manager,
          `DELETE FROM deliveries WHERE id IN (
             SELECT id FROM deliveries
              WHERE attempted_at < now() - $1 * interval '1 millisecond'
              ORDER BY attempted_at LIMIT $2
                FOR UPDATE SKIP LOCKED)`,
          [olderThanMs, limit],
        ),
    });
    this.retention.register({
      table: 'notifications',
      retention: 'history',
      pruneBatch: (manager, olderThanMs, limit) =>
        deletedCount(
          manager,
          `DELETE FROM notifications WHERE event_id IN (
             SELECT event_id FROM notifications
              WHERE state = 'DELIVERED' AND delivered_at < now() - $1 * interval '1 millisecond'
              ORDER BY delivered_at LIMIT $2
                FOR UPDATE SKIP LOCKED)`,
          [olderThanMs, limit],
        ),
    });
  }
}
