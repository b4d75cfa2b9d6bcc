import { ProcessedMessage } from '@backstop/transport';
import { ProcessedMessagesRepository } from './processed-messages.repository';
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
import { FailureListeners } from './failed-messages/failure-listeners';
import { CompensationStats } from './failed-messages/compensation-stats';
import { FailedMessageClaims } from './failed-messages/failed-message-claims.repository';
import { FailedMessagesHistory } from './failed-messages/failed-messages-history.repository';
import { FailedMessagesListing } from './failed-messages/failed-messages-listing.repository';
import { FailedMessagesRepository } from './failed-messages/failed-messages.repository';
import { FailureGroupsController } from './failed-messages/failure-groups.controller';
import { FailureGroupsRepository } from './failed-messages/failure-groups.repository';
import { HandlerExplorer } from './handlers/handler-explorer';
import { HandlerSchedules } from './handlers/handler-schedules';
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
  controllers: [FailedMessagesController, FailureGroupsController],
  providers: [
    HandlerRunner,
    ProcessedMessagesRepository,
    HandlerExplorer,
    HandlerSchedules,
    RetryPublisher,
    FailureRecorder,
    DeadLetterDrain,
    ServiceFailureIntake,
    FailedMessagesService,
    Sweeper,
    CompensationPruner,
    FailedMessagesRepository,
    FailedMessageClaims,
    FailedMessagesListing,
    FailedMessagesHistory,
    FailureGroupsRepository,
    CompensationStats,
    FailureListeners,
  ],
  // HandlerSchedules: each module defines the retry schedules and delivery delays its handlers name.
  // FailureListeners: other modules hear of each failure recorded (the alerts module's spikes).
  exports: [FailedMessagesService, CompensationStats, HandlerSchedules, FailureListeners],
})
export class CompensationModule {}
