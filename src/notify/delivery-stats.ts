import { Injectable } from '@nestjs/common';
import { DeliveriesRepository, DeliveryOutcomeBucket } from './deliveries.repository';

export type { DeliveryOutcomeBucket } from './deliveries.repository';

/** What notify tells ops of its delivery log, for the console's charts. */
@Injectable()
export class DeliveryStats {
  constructor(private readonly deliveries: DeliveriesRepository) {}

  /** Merchant notification attempts since `since` by outcome, in buckets of `bucketMs` counted from the epoch; empty buckets are left out. */
  outcomeBuckets(bucketMs: number, since: Date): Promise<DeliveryOutcomeBucket[]> {
    return this.deliveries.outcomeBuckets(bucketMs, since);
  }
}
