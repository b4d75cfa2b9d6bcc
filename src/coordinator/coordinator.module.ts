import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CheckBackDaemon } from './check-back.daemon';
import { Coordinator } from './coordinator.service';
import { OutboxController } from './outbox.controller';
import { OutboxMessage } from './outbox-message.entity';
import { OutboxPublisher } from './outbox-publisher';
import { OutboxRelay } from './outbox-relay';

@Module({
  imports: [TypeOrmModule.forFeature([OutboxMessage])],
  controllers: [OutboxController],
  providers: [Coordinator, OutboxPublisher, OutboxRelay, CheckBackDaemon],
  exports: [Coordinator, OutboxPublisher, CheckBackDaemon],
})
export class CoordinatorModule {}
