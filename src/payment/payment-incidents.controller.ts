import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminGuard } from '../common/admin.guard';
import { PaymentIncidents } from './payment-incidents';
import { ApiErrors } from '../common/api-responses';
import { PaymentIncidentList } from './payment.responses';

@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/payment-incidents')
export class PaymentIncidentsController {
  constructor(private readonly incidents: PaymentIncidents) {}

  /** Payments that arrived for orders that could not take them, newest first: each needs a refund decision. */
  @Get()
  @ApiOperation({
    operationId: 'listPaymentIncidents',
    summary: 'Payments for orders that could not take them',
    description: 'Newest first: each needs a refund decision.',
  })
  @ApiOkResponse({ type: PaymentIncidentList, description: 'payments that need a refund decision, newest first' })
  @ApiErrors(401, 503)
  async list() {
    const rows = await this.incidents.newest(500);
    return { items: rows.map((row) => ({ ...row, id: Number(row.id), receivedAt: row.receivedAt.toISOString() })) };
  }
}
