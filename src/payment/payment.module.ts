import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { paymentConfig } from '../config/payment.config';
import { CoordinatorModule } from '../coordinator/coordinator.module';
import { OrdersModule } from '../orders/orders.module';
import { PaymentGateway } from './gateway/gateway';
import { HttpGateway } from './gateway/http-gateway';
import { PaymentCallbackController } from './payment-callback.controller';
import { PaymentController } from './payment.controller';
import { PaymentIncident } from './payment-incident.entity';
import { PaymentIncidentsController } from './payment-incidents.controller';
import { PaymentService } from './payment.service';
import { SandboxCharge } from './gateway/sandbox-charge.entity';
import { SandboxGateway } from './gateway/sandbox-gateway';
import { SandboxGatewayController } from './gateway/sandbox-gateway.controller';
import { SandboxChargesRepository } from './gateway/sandbox-charges.repository';
import { PaymentIncidents } from './payment-incidents';
import { PaymentRepository } from './payment.repository';

@Module({
  imports: [CoordinatorModule, OrdersModule, TypeOrmModule.forFeature([PaymentIncident, SandboxCharge])],
  controllers: [PaymentController, PaymentCallbackController, PaymentIncidentsController, SandboxGatewayController],
  providers: [
    PaymentService,
    PaymentRepository,
    PaymentIncidents,
    SandboxChargesRepository,
    SandboxGateway,
    {
      // PAYMENT_GATEWAY_URL unset: the built-in sandbox, called in-process (the payment config
      // refuses to start without either, so production never pays through the sandbox by default).
      provide: PaymentGateway,
      inject: [paymentConfig.KEY, SandboxGateway],
      useFactory: (config: ConfigType<typeof paymentConfig>, sandbox: SandboxGateway) =>
        config.gatewayUrl ? new HttpGateway(config.gatewayUrl, config.gatewayTimeoutMs) : sandbox,
    },
  ],
  exports: [PaymentIncidents],
})
export class PaymentModule {}
