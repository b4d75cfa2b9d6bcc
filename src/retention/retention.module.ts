import { Global, Module } from '@nestjs/common';
import { RetentionService } from './retention.service';

/** Global, so the module that owns a table can register how it is pruned. */
@Global()
@Module({
  providers: [RetentionService],
  exports: [RetentionService],
})
export class RetentionModule {}
