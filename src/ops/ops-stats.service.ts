import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { parseDuration } from '@backstop/transport';
import { CompensationStats } from '../compensation/failed-messages/compensation-stats';
import { appConfig } from '../config/app.config';
import { DeliveryStats } from '../notify/delivery-stats';
import { STATS_WINDOWS, StatsBucket } from './ops-stats.dto';

/**
 * A bucket that ended this long ago no longer changes: an attempt's outcome is recorded
 * within NOTIFY_TIMEOUT and its lease margin of the attempt, and a handler's marker is
 * written by a transaction of seconds.
 */
export const SETTLED_AFTER_MS = 5 * 60_000;
/** Settled buckets are kept as long as the longest window reaches back. */
const KEPT_MS = Math.max(...STATS_WINDOWS.map((window) => parseDuration(window)));
/** What the console shows first, read once at start so its first paint needs no day's scan. */
const CONSOLE_VIEWS = [
  ['1h', '1m'],
  ['24h', '15m'],
] as const;

/**
 * Time buckets of deliveries and handler runs for the console's charts, read from the
 * database so every process answers the same: deliveries from notify's delivery log,
 * finished and failed handler runs from compensation.
 *
 * Settled buckets are kept in memory, by bucket size, so a refresh reads only the last few
 * minutes, not the whole window: a day's figures were a scan of a day of deliveries, markers
 * and failed attempts (100k rows at production size, 70–110 ms) on every console refresh.
 */
@Injectable()
export class OpsStats implements OnApplicationBootstrap {
  private readonly logger = new Logger(OpsStats.name);
  /** Bucket size → bucket start → its figures, for settled buckets only. */
  private readonly settled = new Map<number, Map<number, StatsBucket>>();

  constructor(
    private readonly deliveryStats: DeliveryStats,
    private readonly compensation: CompensationStats,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.app.runsApi) return;
    void this.readAhead().catch((error: Error) => this.logger.warn(`cannot read the console's charts ahead: ${error.message}`));
  }

  /**
   * One view after the other: on a database of a few months, a day's scans all at once took
   * both cores of a small machine from the requests of a process that had just started.
   */
  private async readAhead(): Promise<void> {
    for (const [window, bucket] of CONSOLE_VIEWS) await this.buckets(window, bucket);
  }

  async buckets(window: string, bucket: string): Promise<StatsBucket[]> {
    const bucketMs = parseDuration(bucket);
    const now = Date.now();
    const first = Math.floor((now - parseDuration(window)) / bucketMs + 1) * bucketMs;
    const kept = this.settled.get(bucketMs) ?? new Map<number, StatsBucket>();
    this.settled.set(bucketMs, kept);
    // Settled buckets are kept from the oldest on, so the window's are a run from its start.
    let readFrom = first;
    while (kept.has(readFrom)) readFrom += bucketMs;
    const read = await this.read(bucketMs, readFrom, now);
    for (const each of read) if (Date.parse(each.at) + bucketMs <= now - SETTLED_AFTER_MS) kept.set(Date.parse(each.at), each);
    for (const at of kept.keys()) if (at < now - KEPT_MS - bucketMs) kept.delete(at);
    const buckets: StatsBucket[] = [];
    for (let at = first; at < readFrom; at += bucketMs) buckets.push(kept.get(at)!);
    return [...buckets, ...read];
  }

  /** Every bucket from `first` to `now`, empty ones included, from the database. */
  private async read(bucketMs: number, first: number, now: number): Promise<StatsBucket[]> {
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
