import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AdminGuard } from '../common/admin.guard';
import { STUCK_AFTER_ATTEMPTS } from './check-back.daemon';
import { OutboxMessage } from './outbox-message.entity';

@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/outbox')
export class OutboxController {
  constructor(@InjectRepository(OutboxMessage) private readonly outbox: Repository<OutboxMessage>) {}

  /** Rows not yet published, oldest first. */
  @Get()
  async list() {
    const rows = await this.outbox.find({ order: { createdAt: 'ASC', id: 'ASC' }, take: 500 });
    return {
      items: rows.map((row) => ({
        ...row,
        // A PREPARE row the outside has not answered for after several check-backs needs a human.
        stuck: row.state === 'PREPARE' && row.attempts >= STUCK_AFTER_ATTEMPTS,
      })),
    };
  }
}
