import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-responses';
import { AdminGuard } from '../common/admin.guard';
import { OpsCounts } from './ops-counts.service';
import { SummaryAnswer } from './ops.responses';

/** The counts on top of the ops page: what needs a human now. */
@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/summary')
export class OpsSummaryController {
  constructor(private readonly counts: OpsCounts) {}

  @Get()
  @ApiOkResponse({ type: SummaryAnswer, description: 'what needs a human now' })
  @ApiErrors(401, 503)
  async summary() {
    const [failedMessages, outbox, paymentIncidents] = await Promise.all([
      this.counts.failedMessagesByStatus(),
      this.counts.outbox(),
      this.counts.paymentIncidents(),
    ]);
    return { failedMessages, outbox, paymentIncidents };
  }
}
