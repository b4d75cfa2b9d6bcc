import { Injectable } from '@nestjs/common';
import { parseDuration } from '@backstop/transport';
import { CompensationStats } from '../compensation/failed-messages/compensation-stats';
import { DeliveryStats } from '../notify/delivery-stats';
import type { StatsBucket } from './ops-stats.dto';

/**
 * Time buckets of deliveries and handler runs for the console's charts, read from the
 * database so every process answers the same: deliveries from notify's delivery log,
 * finished and failed handler runs from compensation.
 */
@Injectable()
export class OpsStats {
  constructor(
    private readonly deliveryStats: DeliveryStats,
    private readonly compensation: CompensationStats,
  ) {}

  async buckets(window: string, bucket: string): Promise<StatsBucket[]> {
    const bucketMs = parseDuration(bucket);
    const now = Date.now();
    const first = Math.floor((now - parseDuration(window)) / bucketMs + 1) * bucketMs;
    const since = new Date(first);
    const [deliveries, { done, failed }] = await Promise.all([
      this.deliveryStats.outcomeBuckets(bucketMs, since),
      this.compensation.handlerRunBuckets(bucketMs, since),
    ]);
    const byTime = <T extends { at: Date }>(rows: T[]) => new Map(rows.map((row) => [row.at.getTime(), row]));
    const deliveriesAt = byTime(deliveries);
    const doneAt = byTime(done);
    const failedAt = byTime(failed);
    const buckets: StatsBucket[] = [];
    for (let at = first; at <= now; at += bucketMs) {
      const delivery = deliveriesAt.get(at);
      buckets.push({
        at: new Date(at).toISOString(),
        deliveries: { delivered: delivery?.delivered ?? 0, failed: delivery?.failed ?? 0, unknown: delivery?.unknown ?? 0 },
        handlerRuns: { done: doneAt.get(at)?.count ?? 0, failed: failedAt.get(at)?.count ?? 0 },
      });
    }
    return buckets;
  }
}
