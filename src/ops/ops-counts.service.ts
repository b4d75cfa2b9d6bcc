import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { STUCK_AFTER_ATTEMPTS } from '../coordinator/check-back.daemon';

const FAILED_MESSAGE_STATUSES = ['FAILED', 'RETRYING', 'RESOLVED', 'DISCARDED'] as const;

export interface OutboxCounts {
  ready: number;
  prepare: number;
  stuck: number;
  oldestAgeSeconds: number | null;
}

/** The counts ops watch, read from the database: one source for /metrics and /admin/summary. */
@Injectable()
export class OpsCounts {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async failedMessagesByStatus(): Promise<Record<(typeof FAILED_MESSAGE_STATUSES)[number], number>> {
    const rows: { status: string; count: number }[] = await this.dataSource.query(
      `SELECT status, count(*)::int AS count FROM failed_messages GROUP BY status`,
    );
    return Object.fromEntries(
      FAILED_MESSAGE_STATUSES.map((status) => [status, rows.find((row) => row.status === status)?.count ?? 0]),
    ) as Record<(typeof FAILED_MESSAGE_STATUSES)[number], number>;
  }

  async outbox(): Promise<OutboxCounts> {
    const [row]: OutboxCounts[] = await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE state = 'READY')::int AS ready,
              count(*) FILTER (WHERE state = 'PREPARE')::int AS prepare,
              count(*) FILTER (WHERE state = 'PREPARE' AND attempts >= $1)::int AS stuck,
              EXTRACT(EPOCH FROM now() - min(created_at))::float AS "oldestAgeSeconds"
         FROM outbox`,
      [STUCK_AFTER_ATTEMPTS],
    );
    return row;
  }

  async paymentIncidents(): Promise<number> {
    const [row]: { count: number }[] = await this.dataSource.query(`SELECT count(*)::int AS count FROM payment_incidents`);
    return row.count;
  }
}
