import { Module } from '@nestjs/common';
import { CheckBackDaemon } from './check-back.daemon';
import { Coordinator } from './coordinator.service';
import { OutboxController } from './outbox.controller';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxPublisher } from './outbox-publisher';
import { OutboxRelay } from './outbox-relay';
import { OutboxRepository } from './outbox.repository';

/** Reliable publish: the outbox, its publisher and relay, and the check-back of outside work. */
@Module({
  controllers: [OutboxController],
  providers: [Coordinator, OutboxRepository, OutboxPublisher, OutboxRelay, CheckBackDaemon, OutboxMetrics],
  exports: [Coordinator, OutboxPublisher, CheckBackDaemon, OutboxMetrics],
})
export class CoordinatorModule {}
