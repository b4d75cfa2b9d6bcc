import { ProcessedMessage } from '@backstop/transport';
import { DiscoveryModule } from '@golevelup/nestjs-discovery';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CoordinatorModule } from '../coordinator/coordinator.module';
import { CompensationPruner } from './compensation.pruner';
import { DeadLetterDrain } from './retries/dead-letter-drain';
import { FailedMessageAction } from './failed-messages/failed-message-action.entity';
import { FailedMessage } from './failed-messages/failed-message.entity';
import { FailedMessagesController } from './failed-messages/failed-messages.controller';
import { FailedMessagesService } from './failed-messages/failed-messages.service';
import { FailureRecorder } from './failed-messages/failure-recorder';
import { HandlerExplorer } from './handlers/handler-explorer';
import { HandlerRunner } from './handlers/handler-runner';
import { RetryPublisher } from './retries/retry-publisher';
import { Sweeper } from './failed-messages/sweeper';
import { ServiceFailureIntake } from './services/service-failure-intake';

/**
 * Retries, failure records, the sweeper and the ops API, written once: every
 * `@EventHandler` in the codebase gets them from the decorator alone.
 */
@Module({
  imports: [DiscoveryModule, CoordinatorModule, TypeOrmModule.forFeature([ProcessedMessage, FailedMessage, FailedMessageAction])],
  controllers: [FailedMessagesController],
  providers: [
    HandlerRunner,
    HandlerExplorer,
    RetryPublisher,
    FailureRecorder,
    DeadLetterDrain,
    ServiceFailureIntake,
    FailedMessagesService,
    Sweeper,
    CompensationPruner,
  ],
  exports: [FailedMessagesService],
})
export class CompensationModule {}
