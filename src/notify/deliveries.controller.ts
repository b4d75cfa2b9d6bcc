import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-responses';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AdminGuard } from '../common/admin.guard';
import { decodeCursor, encodeCursor } from '../common/page-cursor';
import { ListDeliveriesQuery } from './deliveries.dto';
import { NotifyException } from './notify.exception';
import { DeliveryPage } from './notify.responses';

const OUTCOME_UNKNOWN = 'outcome unknown';

interface DeliveryRow {
  id: string;
  event_id: string;
  order_id: string;
  attempt: number;
  url: string;
  endpoint_id: string | null;
  http_status: number | null;
  duration_ms: number | null;
  delivered: boolean | null;
  error: string | null;
  response_snippet: string | null;
  attempted_at: Date;
}

@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/deliveries')
export class DeliveriesController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Merchant notification attempts, newest first, by order, endpoint or outcome, a page at a
   * time. An attempt is listed from before its request goes out: until its outcome is recorded
   * (or for good, when its process died mid-send) it shows `delivered: null` and
   * `error: "outcome unknown"`.
   */
  @Get()
  @ApiOkResponse({ type: DeliveryPage, description: 'newest first' })
  @ApiErrors(400, 401, 503)
  async list(@Query() query: ListDeliveriesQuery) {
    const [at, id] = query.cursor ? (decodeCursor(query.cursor, /^\d{1,19}$/) ?? throwBadCursor()) : [null, null];
    const rows: DeliveryRow[] = await this.dataSource.query(
      `SELECT * FROM deliveries
        WHERE ($1::uuid IS NULL OR order_id = $1) AND ($2::uuid IS NULL OR endpoint_id = $2)
          AND ($3::boolean IS NULL OR delivered = $3)
          AND ($4::timestamptz IS NULL OR (attempted_at, id) < ($4, $5::bigint))
        ORDER BY attempted_at DESC, id DESC LIMIT $6`,
      [query.orderId ?? null, query.endpoint ?? null, query.delivered === undefined ? null : query.delivered === 'true', at, id, query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => ({
        id: Number(row.id),
        eventId: row.event_id,
        orderId: row.order_id,
        attempt: row.attempt,
        attemptedAt: row.attempted_at.toISOString(),
        url: row.url,
        endpoint: row.endpoint_id,
        httpStatus: row.http_status,
        durationMs: row.duration_ms,
        delivered: row.delivered,
        error: row.delivered === null ? OUTCOME_UNKNOWN : row.error,
        responseSnippet: row.response_snippet,
      })),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.attempted_at, last.id) : null,
    };
  }
}

function throwBadCursor(): never {
  throw NotifyException.badCursor();
}
