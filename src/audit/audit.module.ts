import { Global, Module } from '@nestjs/common';
import { AuditRepository } from './audit.repository';
import { AuditTrail } from './audit-trail';

/** The ops audit trail, for every module that lets ops change something. */
@Global()
@Module({
  providers: [AuditTrail, AuditRepository],
  exports: [AuditTrail],
})
export class AuditModule {}
