import { Module } from '@nestjs/common';
import { OrderFacts } from './order-facts';

/** The read-only view of orders that stock and notify check their events against. */
@Module({
  providers: [OrderFacts],
  exports: [OrderFacts],
})
export class OrderFactsModule {}
