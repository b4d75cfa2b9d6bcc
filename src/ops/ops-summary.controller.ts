import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AdminGuard } from '../common/admin.guard';
import { STUCK_AFTER_ATTEMPTS } from '../coordinator/check-back.daemon';

/** The counts on top of the ops page: what needs a human now. */
@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/summary')
export class OpsSummaryController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get()
  async summary() {
    const [failed, outbox, incidents] = await Promise.all([
      this.dataSource.query(`SELECT status, count(*)::int AS count FROM failed_messages GROUP BY status`),
      this.dataSource.query(
        `SELECT count(*) FILTER (WHERE state = 'READY')::int AS ready,
                count(*) FILTER (WHERE state = 'PREPARE')::int AS prepare,
                count(*) FILTER (WHERE state = 'PREPARE' AND attempts >= $1)::int AS stuck,
                EXTRACT(EPOCH FROM now() - min(created_at))::float AS "oldestAgeSeconds"
           FROM outbox`,
        [STUCK_AFTER_ATTEMPTS],
      ),
      this.dataSource.query(`SELECT count(*)::int AS count FROM payment_incidents`),
    ]);
    return {
      failedMessages: Object.fromEntries((failed as { status: string; count: number }[]).map(({ status, count }) => [status, count])),
      outbox: outbox[0],
      paymentIncidents: incidents[0].count,
    };
  }
}
