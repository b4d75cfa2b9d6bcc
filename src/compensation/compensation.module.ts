import { DiscoveryModule } from '@golevelup/nestjs-discovery';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CoordinatorModule } from '../coordinator/coordinator.module';
import { DeadLetterDrain } from './dead-letter-drain';
import { FailedMessageAction } from './failed-message-action.entity';
import { FailedMessage } from './failed-message.entity';
import { FailedMessagesController } from './failed-messages.controller';
import { FailedMessagesService } from './failed-messages.service';
import { FailureRecorder } from './failure-recorder';
import { HandlerExplorer } from './handler-explorer';
import { HandlerRunner } from './handler-runner';
import { ProcessedMessage } from './processed-message.entity';
import { RetryPublisher } from './retry-publisher';
import { Sweeper } from './sweeper';

/**
 * Retries, failure records, the sweeper and the ops API, written once: every
 * `@EventHandler` in the codebase gets them from the decorator alone.
 */
@Module({
  imports: [DiscoveryModule, CoordinatorModule, TypeOrmModule.forFeature([ProcessedMessage, FailedMessage, FailedMessageAction])],
  controllers: [FailedMessagesController],
  providers: [HandlerRunner, HandlerExplorer, RetryPublisher, FailureRecorder, DeadLetterDrain, FailedMessagesService, Sweeper],
  exports: [FailedMessagesService],
})
export class CompensationModule {}
