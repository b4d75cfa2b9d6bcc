import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Db } from '../database/db';
import { Statement } from '../database/sql';
import { Delivery } from './delivery.entity';

/** Which attempts of the delivery log to list; an absent field does not narrow it. */
export interface DeliveryFilter {
  orderId?: string;
  endpointId?: string;
  /** Attempts whose outcome is known: delivered or not. */
  delivered?: boolean;
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
    const query = this.deliveries.createQueryBuilder('d').orderBy('d.attemptedAt', 'DESC').addOrderBy('d.id', 'DESC').limit(limit);
    if (filter.orderId !== undefined) query.andWhere('d.orderId = :orderId', { orderId: filter.orderId });
    if (filter.endpointId !== undefined) query.andWhere('d.endpointId = :endpointId', { endpointId: filter.endpointId });
    if (filter.delivered !== undefined) query.andWhere('d.delivered = :delivered', { delivered: filter.delivered });
    if (after) query.andWhere('(d.attemptedAt, d.id) < (CAST(:attemptedAt AS timestamptz), CAST(:id AS bigint))', after);
    return query.getMany();
  }

  /** Attempts since `since`, in buckets of `bucketMs` counted from the epoch; empty buckets are left out. */
  outcomeBuckets(bucketMs: number, since: Date): Promise<DeliveryOutcomeBucket[]> {
    return this.db.run(outcomeBuckets, [bucketMs, since]);
  }
}
