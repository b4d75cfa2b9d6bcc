import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminGuard } from '../common/admin.guard';
import { OpsCounts } from './ops-counts.service';

/** The counts on top of the ops page: what needs a human now. */
@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/summary')
export class OpsSummaryController {
  constructor(private readonly counts: OpsCounts) {}

  @Get()
  async summary() {
    const [failedMessages, outbox, paymentIncidents] = await Promise.all([
      this.counts.failedMessagesByStatus(),
      this.counts.outbox(),
      this.counts.paymentIncidents(),
    ]);
    return { failedMessages, outbox, paymentIncidents };
  }
}
