import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, SelectQueryBuilder } from 'typeorm';
import { Db } from '../database/db';
import { Statement } from '../database/sql';
import { Delivery } from './delivery.entity';

/** Which attempts of the delivery log to list; an absent field does not narrow it. */
export interface DeliveryFilter {
  orderId?: string;
  endpointId?: string;
  /** The endpoint by its origin (`new URL(x).origin`), as the Endpoints page shows it. */
  endpointOrigin?: string;
  /** Attempts whose outcome is known: delivered or not. */
  delivered?: boolean;
  /** Attempted at or after. */
  from?: Date;
  /** Attempted before. */
  to?: Date;
}

/**
 * An order's attempts are none of them older than the order, an hour's margin allowed for a
 * platform clock ahead of the database's (the order's time is the platform's, an attempt's the
 * database's). The bound lets the planner leave out the day partitions before it: without
 * one, a lookup by order plans every partition of the log (9 ms of planning against 1.5 ms of
 * execution, 69 days on a grown database, docs/benchmarks.md run 35).
 */
const CLOCK_MARGIN_MS = 60 * 60_000;

/** `filter` narrowed to the time since its order was placed (`placedAt`; null when unknown, and then unchanged). */
export function sincePlaced(filter: DeliveryFilter, placedAt: Date | null): DeliveryFilter {
  if (placedAt === null) return filter;
  const earliest = new Date(placedAt.getTime() - CLOCK_MARGIN_MS);
  return filter.from !== undefined && filter.from > earliest ? filter : { ...filter, from: earliest };
}

/** Where the previous page ended: its last attempt. */
export interface DeliveryPosition {
  attemptedAt: string;
  id: string;
}

/** Attempts in the bucket starting at `at`, by outcome; `unknown`: not recorded (in flight, or their process died). */
export interface DeliveryOutcomeBucket {
  at: Date;
  delivered: number;
  failed: number;
  unknown: number;
}

const outcomeBuckets = new Statement<DeliveryOutcomeBucket>(
  'notify delivery outcome buckets',
  `SELECT date_bin($1 * interval '1 millisecond', attempted_at, 'epoch') AS at,
          count(*) FILTER (WHERE delivered)::int AS delivered,
          count(*) FILTER (WHERE NOT delivered)::int AS failed,
          count(*) FILTER (WHERE delivered IS NULL)::int AS unknown
     FROM deliveries WHERE attempted_at >= $2 GROUP BY 1`,
);

/** The delivery log as ops read it (GET /admin/deliveries, the stats); each attempt writes its entry through NotificationsRepository. */
@Injectable()
export class DeliveriesRepository {
  constructor(
    @InjectRepository(Delivery) private readonly deliveries: Repository<Delivery>,
    private readonly db: Db,
  ) {}

  /** Up to `limit` attempts, newest first, after `after` when given. */
  page(filter: DeliveryFilter, after: DeliveryPosition | undefined, limit: number): Promise<Delivery[]> {
    return this.pageQuery(filter, after, limit).getMany();
  }

  /**
   * The page's query, not run: `page` runs it, and test/query-plans.e2e-spec.ts reads its plan.
   * Each filter is a bound of one index, (order_id, attempted_at), (endpoint_id, attempted_at)
   * or (attempted_at), read backward; the time bounds also leave out whole day partitions.
   */
  pageQuery(filter: DeliveryFilter, after: DeliveryPosition | undefined, limit: number): SelectQueryBuilder<Delivery> {
    const query = this.deliveries.createQueryBuilder('d').orderBy('d.attemptedAt', 'DESC').addOrderBy('d.id', 'DESC').limit(limit);
    if (filter.orderId !== undefined) query.andWhere('d.orderId = :orderId', { orderId: filter.orderId });
    if (filter.endpointId !== undefined) query.andWhere('d.endpointId = :endpointId', { endpointId: filter.endpointId });
    // One row by the unique origin index, then the endpoint's own index: an unknown origin lists nothing.
    if (filter.endpointOrigin !== undefined) {
      query.andWhere('d.endpointId = (SELECT e.id FROM endpoints e WHERE e.origin = :origin)', { origin: filter.endpointOrigin });
    }
    if (filter.delivered !== undefined) query.andWhere('d.delivered = :delivered', { delivered: filter.delivered });
    if (filter.from !== undefined) query.andWhere('d.attemptedAt >= :from', { from: filter.from });
    if (filter.to !== undefined) query.andWhere('d.attemptedAt < :to', { to: filter.to });
    if (after) query.andWhere('(d.attemptedAt, d.id) < (CAST(:attemptedAt AS timestamptz), CAST(:id AS bigint))', after);
    return query;
  }

  /** Attempts since `since`, in buckets of `bucketMs` counted from the epoch; empty buckets are left out. */
  outcomeBuckets(bucketMs: number, since: Date): Promise<DeliveryOutcomeBucket[]> {
    return this.db.run(outcomeBuckets, [bucketMs, since]);
  }
}
