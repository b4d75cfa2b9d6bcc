import { CreateProcessedMessages1700000000000, ProcessedMessage } from '@backstop/transport';
import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { LoyaltyConfig } from './loyalty.config';
import { LoyaltyPoints1795400000000 } from './migrations/1795400000000-LoyaltyPoints';
import { PointRate } from './point-rate.entity';
import { PointsEntry } from './points-entry.entity';
import { PointsController } from './points.controller';
import { PointsService } from './points.service';

@Module({})
export class AppModule {
  static register(config: LoyaltyConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: config.DATABASE_URL,
          entities: [PointRate, PointsEntry, ProcessedMessage],
          // The transport's table for `once` first, then the service's own.
          migrations: [CreateProcessedMessages1700000000000, LoyaltyPoints1795400000000],
          // The service owns its schema; it brings it up to date before it consumes anything.
          migrationsRun: true,
          synchronize: false,
        }),
        TypeOrmModule.forFeature([PointRate, PointsEntry]),
      ],
      controllers: [PointsController],
      providers: [PointsService],
    };
  }
}
