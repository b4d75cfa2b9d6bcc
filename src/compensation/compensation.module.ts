import { DiscoveryModule } from '@golevelup/nestjs-discovery';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CoordinatorModule } from '../coordinator/coordinator.module';
import { HandlerExplorer } from './handler-explorer';
import { HandlerRunner } from './handler-runner';
import { ProcessedMessage } from './processed-message.entity';

@Module({
  imports: [DiscoveryModule, CoordinatorModule, TypeOrmModule.forFeature([ProcessedMessage])],
  providers: [HandlerRunner, HandlerExplorer],
})
export class CompensationModule {}
