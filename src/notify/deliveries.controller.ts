import { Controller, Get, HttpStatus, ParseUUIDPipe, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AdminGuard } from '../common/admin.guard';
import { Delivery } from './delivery.entity';

const OUTCOME_UNKNOWN = 'outcome unknown';

@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/deliveries')
export class DeliveriesController {
  constructor(@InjectRepository(Delivery) private readonly deliveries: Repository<Delivery>) {}

  /**
   * Every attempt to notify the merchant of an order, oldest first. An attempt is listed from
   * before its request goes out: until its outcome is recorded (or for good, when its process
   * died mid-send) it shows `delivered: null` and `error: "outcome unknown"`.
   */
  @Get()
  async list(@Query('orderId', new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.BAD_REQUEST })) orderId: string) {
    const rows = await this.deliveries.find({ where: { orderId }, order: { attemptedAt: 'ASC', id: 'ASC' } });
    return {
      items: rows.map(({ id, eventId, attempt, url, endpointId, httpStatus, durationMs, delivered, error, responseSnippet, attemptedAt }) => ({
        id: Number(id),
        eventId,
        attempt,
        attemptedAt: attemptedAt.toISOString(),
        url,
        endpoint: endpointId,
        httpStatus,
        durationMs,
        delivered,
        error: delivered === null ? OUTCOME_UNKNOWN : error,
        responseSnippet,
      })),
    };
  }
}
