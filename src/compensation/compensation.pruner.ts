import { Injectable, OnModuleInit } from '@nestjs/common';
import { RetentionService } from '../retention/retention.service';
import { FailedMessagesHistory } from './failed-messages/failed-messages-history.repository';
import { ProcessedMessagesRepository } from './processed-messages.repository';

/**
 * What compensation keeps only for a while (docs/configuration.md, G10):
 * - `processed_messages` markers, for PROCESSED_RETENTION (a day's partition is dropped once all of it is older). A message redelivered after its
 *   marker is gone is refused by the domain state its handler checks (a RELEASED reservation,
 *   an order no longer PENDING or CONFIRMED, a DELIVERED notification), not by the marker.
 * - RESOLVED and DISCARDED failed messages with their ops actions, for HISTORY_RETENTION.
 *   FAILED and RETRYING rows are still needed and are never touched.
 */
@Injectable()
export class CompensationPruner implements OnModuleInit {
  constructor(
    private readonly retention: RetentionService,
    private readonly processedMessages: ProcessedMessagesRepository,
    private readonly failedMessages: FailedMessagesHistory,
  ) {}

  onModuleInit(): void {
    this.retention.registerPartitioned({ name: 'processed_messages', retention: 'processed', partitions: this.processedMessages.partitions });
    this.retention.register({
      name: 'failed_messages',
      retention: 'history',
      pruneBatch: (olderThanMs, limit, from) => this.failedMessages.pruneBatch(olderThanMs, limit, from),
    });
  }
}
