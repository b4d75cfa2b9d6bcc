import { Injectable, OnModuleInit } from '@nestjs/common';
import { RetentionService } from '../retention/retention.service';
import { NotifyHistoryRepository } from './notify-history.repository';

/**
 * What notify keeps only for HISTORY_RETENTION (docs/configuration.md, G10): the delivery log, and
 * notifications once DELIVERED. A PENDING or FAILED notification is still owed to its
 * merchant and is never pruned, however old.
 */
@Injectable()
export class NotifyPruner implements OnModuleInit {
  constructor(
    private readonly retention: RetentionService,
    private readonly history: NotifyHistoryRepository,
  ) {}

  onModuleInit(): void {
    this.retention.registerPartitioned({ name: 'deliveries', retention: 'history', partitions: this.history.deliveryPartitions });
    this.retention.register({
      name: 'notifications',
      retention: 'history',
      pruneBatch: (olderThanMs, limit, from) => this.history.pruneDeliveredNotifications(olderThanMs, limit, from),
    });
  }
}
