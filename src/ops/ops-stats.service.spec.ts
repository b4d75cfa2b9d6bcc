import { CompensationStats } from '../compensation/failed-messages/compensation-stats';
import { DeliveryStats } from '../notify/delivery-stats';
import { OpsStats, SETTLED_AFTER_MS } from './ops-stats.service';

/** Figures that are a function of the bucket's start, from "databases" that note each read's start. */
function sources() {
  const reads: Date[] = [];
  const buckets = (bucketMs: number, since: Date) => {
    const rows: { at: Date; n: number }[] = [];
    for (let at = since.getTime(); at <= Date.now(); at += bucketMs) rows.push({ at: new Date(at), n: (at / bucketMs) % 7 });
    return rows;
  };
  const deliveries = {
    outcomeBuckets: async (bucketMs: number, since: Date) => {
      reads.push(since);
      return buckets(bucketMs, since).map(({ at, n }) => ({ at, delivered: n, failed: 1, unknown: 0 }));
    },
  } as unknown as DeliveryStats;
  const compensation = {
    handlerRunBuckets: async (bucketMs: number, since: Date) => ({
      done: buckets(bucketMs, since).map(({ at, n }) => ({ at, count: n * 2 })),
      failed: buckets(bucketMs, since).filter(({ n }) => n === 3).map(({ at }) => ({ at, count: 1 })),
    }),
  } as unknown as CompensationStats;
  return { reads, stats: new OpsStats(deliveries, compensation, { runsApi: true } as never) };
}

describe('the console charts kept from one refresh to the next', () => {
  it('reads a whole window once, then only the buckets not yet settled, and answers the same', async () => {
    const { reads, stats } = sources();
    const first = await stats.buckets('24h', '15m');
    expect(first).toHaveLength(96);
    expect(Date.now() - reads[0].getTime()).toBeGreaterThan(23 * 3_600_000);
    const again = await stats.buckets('24h', '15m');
    // The second read starts at the first bucket that had not ended SETTLED_AFTER_MS before.
    expect(Date.now() - reads[1].getTime()).toBeLessThanOrEqual(SETTLED_AFTER_MS + 2 * 15 * 60_000);
    expect(again).toEqual(first);
  });

  it('keeps each bucket size apart', async () => {
    const { reads, stats } = sources();
    await stats.buckets('24h', '15m');
    const hour = await stats.buckets('1h', '1m');
    expect(hour).toHaveLength(60);
    expect(Date.now() - reads[1].getTime()).toBeGreaterThan(59 * 60_000);
    expect(hour.every((bucket) => bucket.deliveries.failed === 1)).toBe(true);
  });
});
