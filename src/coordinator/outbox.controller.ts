import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
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
  @ApiOperation({
    operationId: 'listOutbox',
    summary: 'Events not yet published, and PREPARE rows',
    description: 'Oldest first, at most 500. A PREPARE row is `stuck` after 5 check-backs the outside did not answer: it needs a human.',
  })
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
