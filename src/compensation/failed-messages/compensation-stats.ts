import { Injectable, OnModuleInit } from '@nestjs/common';
import { Metrics } from '../../metrics/metrics.service';
import { ProcessedMessagesRepository } from '../processed-messages.repository';
import type { FailedMessageStatus } from './failed-message.entity';
import { FAILED_MESSAGE_STATUSES } from './failed-messages.dto';
import { FailedMessagesHistory } from './failed-messages-history.repository';

/** A count in the bucket starting at `at`. */
export interface CountAt {
  at: Date;
  count: number;
}

/** What compensation tells ops and /metrics: failed messages by status, and handler runs over time. */
@Injectable()
export class CompensationStats implements OnModuleInit {
  constructor(
    private readonly failedMessages: FailedMessagesHistory,
    private readonly processedMessages: ProcessedMessagesRepository,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.metrics.gauge({ name: 'backstop_failed_messages', help: 'Failed messages by status', labelNames: ['status'] as const }, async (gauge) => {
      for (const [status, count] of Object.entries(await this.failedMessagesByStatus())) gauge.set({ status }, count);
    });
  }

  /** Every status, 0 when no row has it. */
  async failedMessagesByStatus(): Promise<Record<FailedMessageStatus, number>> {
    const counts = await this.failedMessages.countByStatus();
    return Object.fromEntries(FAILED_MESSAGE_STATUSES.map((status) => [status, counts[status] ?? 0])) as Record<FailedMessageStatus, number>;
  }

  /**
   * Handler runs since `since` in buckets of `bucketMs` counted from the epoch, empty buckets
   * left out: the messages handlers processed (their idempotency markers), and the failed
   * attempts recorded in failed messages.
   */
  async handlerRunBuckets(bucketMs: number, since: Date): Promise<{ done: CountAt[]; failed: CountAt[] }> {
    const [done, failed] = await Promise.all([
      this.processedMessages.processedBuckets(bucketMs, since),
      this.failedMessages.failedAttemptBuckets(bucketMs, since),
    ]);
    return { done, failed };
  }
}
