import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { AlertsModule } from './alerts/alerts.module';
import { AuditModule } from './audit/audit.module';
import { CompensationModule } from './compensation/compensation.module';
import { configurations } from './config/configuration';
import { CoordinatorModule } from './coordinator/coordinator.module';
import { DatabaseModule } from './database/database.module';
import { MerchantsModule } from './merchants/merchants.module';
import { MessagingModule } from './messaging/messaging.module';
import { MetricsModule } from './metrics/metrics.module';
import { NotifyModule } from './notify/notify.module';
import { OpsModule } from './ops/ops.module';
import { OrdersModule } from './orders/orders.module';
import { PaymentModule } from './payment/payment.module';
import { RetentionModule } from './retention/retention.module';
import { StockModule } from './stock/stock.module';
import { LoggingModule } from './logging/logging.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: configurations }),
    ScheduleModule.forRoot(),
    LoggingModule,
    DatabaseModule,
    MetricsModule,
    AuditModule,
    MessagingModule,
    RetentionModule,
    CoordinatorModule,
    CompensationModule,
    MerchantsModule,
    OrdersModule,
    StockModule,
    NotifyModule,
    PaymentModule,
    AlertsModule,
    OpsModule,
  ],
})
export class AppModule {}
