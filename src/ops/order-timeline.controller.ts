import { Controller, Get, HttpStatus, Param, ParseUUIDPipe, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminGuard } from '../common/admin.guard';
import { ApiErrors } from '../common/api-responses';
import { OrderTimelineService } from './order-timeline.service';
import { OrderTimelineView } from './order-timeline.responses';

const uuid = new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.BAD_REQUEST });

@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/orders')
export class OrderTimelineController {
  constructor(private readonly timelines: OrderTimelineService) {}

  @Get(':id/timeline')
  @ApiOperation({
    operationId: 'getOrderTimeline',
    summary: "One order's story, oldest first",
    description:
      'The order placed and its current status, the events its changes wrote, handler effects and failed attempts, failed messages, ' +
      'every notification attempt, payments and ops actions. Successful handler runs show by their effect (a reservation, a ' +
      'notification); see docs/operations.md#an-orders-timeline for what it cannot show.',
  })
  @ApiOkResponse({ type: OrderTimelineView, description: 'the order and its timeline, oldest first' })
  @ApiErrors(400, 401, 404, 503)
  async timeline(@Param('id', uuid) id: string): Promise<OrderTimelineView> {
    const { order, entries, omitted } = await this.timelines.of(id);
    return {
      order: { ...order, paidAt: order.paidAt?.toISOString() ?? null, createdAt: order.createdAt.toISOString() },
      entries,
      omitted,
    };
  }
}
