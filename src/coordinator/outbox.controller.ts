import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdminGuard } from '../common/admin.guard';
import { ApiErrors } from '../common/api-responses';
import { STUCK_AFTER_ATTEMPTS } from './check-back.daemon';
import { OutboxRepository } from './outbox.repository';
import { OutboxList } from './outbox.responses';

@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/outbox')
export class OutboxController {
  constructor(private readonly outbox: OutboxRepository) {}

  /** Rows not yet published, oldest first. */
  @Get()
  @ApiOkResponse({ type: OutboxList, description: 'rows not yet published, oldest first' })
  @ApiErrors(401, 503)
  async list() {
    const rows = await this.outbox.oldest(500);
    return {
      items: rows.map((row) => ({
        ...row,
        // A PREPARE row the outside has not answered for after several check-backs needs a human.
        stuck: row.state === 'PREPARE' && row.attempts >= STUCK_AFTER_ATTEMPTS,
      })),
    };
  }
}
