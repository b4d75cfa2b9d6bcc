import { Injectable, OnModuleInit } from '@nestjs/common';
import { RetentionService } from '../retention/retention.service';

/**
 * What notify keeps only for HISTORY_RETENTION (SPEC §9, G10): the delivery log, and
 * notifications once DELIVERED. A PENDING or FAILED notification is still owed to its
 * merchant and is never pruned, however old.
 */
@Injectable()
export class NotifyPruner implements OnModuleInit {
  constructor(private readonly retention: RetentionService) {}

  onModuleInit(): void {
    this.retention.register({ table: 'deliveries', key: ['id'], agedFrom: 'attempted_at', retention: 'history' });
    this.retention.register({
      table: 'notifications',
      key: ['event_id'],
      agedFrom: 'delivered_at',
      only: `state = 'DELIVERED'`,
      retention: 'history',
    });
  }
}
