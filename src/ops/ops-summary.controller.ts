import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-responses';
import { AdminGuard } from '../common/admin.guard';
import { CompensationStats } from '../compensation/failed-messages/compensation-stats';
import { OutboxMetrics } from '../coordinator/outbox-metrics';
import { PaymentIncidents } from '../payment/payment-incidents';
import { SummaryAnswer } from './ops.responses';

/** The counts on top of the ops page: what needs a human now. */
@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/summary')
export class OpsSummaryController {
  constructor(
    private readonly compensation: CompensationStats,
    private readonly outbox: OutboxMetrics,
    private readonly paymentIncidents: PaymentIncidents,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'getOpsSummary',
    summary: 'The counts ops watch',
    description: 'Failed messages by status, the outbox, disabled and open endpoints: what needs a human now.',
  })
  @ApiOkResponse({ type: SummaryAnswer, description: 'what needs a human now' })
  @ApiErrors(401, 503)
  async summary() {
    const [failedMessages, outbox, paymentIncidents] = await Promise.all([
      this.compensation.failedMessagesByStatus(),
      this.outbox.counts(),
      this.paymentIncidents.count(),
    ]);
    return { failedMessages, outbox, paymentIncidents };
  }
}
