import { BadRequestException, Controller, Get, Query, UseGuards } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-responses';
import { AdminGuard } from '../common/admin.guard';
import { decodeCursor, encodeCursor } from '../common/page-cursor';
import { ListDeliveriesQuery } from './deliveries.dto';
import { OrderFacts } from '../orders/order-facts';
import { DeliveriesRepository, DeliveryFilter, DeliveryPosition, sincePlaced } from './deliveries.repository';
import { NotifyException } from './notify.exception';
import { DeliveryPage } from './notify.responses';

const OUTCOME_UNKNOWN = 'outcome unknown';

@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/deliveries')
export class DeliveriesController {
  constructor(
    private readonly deliveries: DeliveriesRepository,
    private readonly orders: OrderFacts,
  ) {}

  /**
   * Merchant notification attempts, newest first, by order, endpoint (its id or its origin),
   * outcome or time, a page at a time. An attempt is listed from before its request goes out:
   * until its outcome is recorded (or for good, when its process died mid-send) it shows
   * `delivered: null` and `error: "outcome unknown"`.
   */
  @Get()
  @ApiOperation({
    operationId: 'listDeliveries',
    summary: 'Merchant notification attempts',
    description: 'Newest first, a page at a time, by order, endpoint, outcome or time, with the first 1 KiB of each answer. An attempt is listed from before its request goes out, with `delivered: null` until its outcome is recorded.',
  })
  @ApiOkResponse({ type: DeliveryPage, description: 'newest first' })
  @ApiErrors(400, 401, 503)
  async list(@Query() query: ListDeliveriesQuery) {
    let filter = filterOf(query);
    if (filter.orderId !== undefined) filter = sincePlaced(filter, await this.orders.placedAt(filter.orderId));
    const rows = await this.deliveries.page(filter, query.cursor === undefined ? undefined : positionOf(query.cursor), query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => ({
        id: Number(row.id),
        eventId: row.eventId,
        orderId: row.orderId,
        attempt: row.attempt,
        attemptedAt: row.attemptedAt.toISOString(),
        url: row.url,
        endpoint: row.endpointId,
        httpStatus: row.httpStatus,
        durationMs: row.durationMs,
        delivered: row.delivered,
        error: row.delivered === null ? OUTCOME_UNKNOWN : row.error,
        responseSnippet: row.responseSnippet,
      })),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.attemptedAt, last.id) : null,
    };
  }
}

function filterOf(query: ListDeliveriesQuery): DeliveryFilter {
  const filter: DeliveryFilter = { orderId: query.orderId, delivered: query.delivered === undefined ? undefined : query.delivered === 'true' };
  if (query.endpoint !== undefined) {
    // Validated as one or the other: an origin is compared as the endpoint stores it (lower-case host, no default port).
    if (isUUID(query.endpoint)) filter.endpointId = query.endpoint;
    else filter.endpointOrigin = new URL(query.endpoint).origin;
  }
  if (query.from !== undefined) filter.from = new Date(query.from);
  if (query.to !== undefined) filter.to = new Date(query.to);
  if (filter.from && filter.to && filter.from >= filter.to) throw new BadRequestException(`from (${query.from}) must be before to (${query.to})`);
  return filter;
}

function positionOf(cursor: string): DeliveryPosition {
  const [attemptedAt, id] = decodeCursor(cursor, /^\d{1,19}$/) ?? throwBadCursor();
  return { attemptedAt, id };
}

function throwBadCursor(): never {
  throw NotifyException.badCursor();
}
