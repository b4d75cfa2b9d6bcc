import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { parseDuration } from '@backstop/transport';
import type { StatsBucket } from './ops-stats.dto';

/**
 * Time buckets of deliveries and handler runs for the console's charts, read from the
 * database so every process answers the same: deliveries from the delivery log, finished
 * handler runs from the idempotency markers, failed runs from the failed messages' attempt list.
 */
@Injectable()
export class OpsStats {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async buckets(window: string, bucket: string): Promise<StatsBucket[]> {
    const bucketMs = parseDuration(bucket);
    const now = Date.now();
    const first = Math.floor((now - parseDuration(window)) / bucketMs + 1) * bucketMs;
    const since = new Date(first);
    const interval = `${bucketMs / 1000} seconds`;
    const [deliveries, done, failed] = await Promise.all([
      this.dataSource.query(
        `SELECT date_bin($1::interval, attempted_at, 'epoch') AS at,
                count(*) FILTER (WHERE delivered)::int AS delivered,
                count(*) FILTER (WHERE NOT delivered)::int AS failed,
                count(*) FILTER (WHERE delivered IS NULL)::int AS unknown
           FROM deliveries WHERE attempted_at >= $2 GROUP BY 1`,
        [interval, since],
      ) as Promise<{ at: Date; delivered: number; failed: number; unknown: number }[]>,
      this.dataSource.query(
        `SELECT date_bin($1::interval, processed_at, 'epoch') AS at, count(*)::int AS count
           FROM processed_messages WHERE processed_at >= $2 GROUP BY 1`,
        [interval, since],
      ) as Promise<{ at: Date; count: number }[]>,
      this.dataSource.query(
        `SELECT date_bin($1::interval, (attempt->>'at')::timestamptz, 'epoch') AS at, count(*)::int AS count
           FROM failed_messages, jsonb_array_elements(errors) AS attempt
          WHERE last_failed_at >= $2 AND (attempt->>'at')::timestamptz >= $2 GROUP BY 1`,
        [interval, since],
      ) as Promise<{ at: Date; count: number }[]>,
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
