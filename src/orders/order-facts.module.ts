import { Global, Module } from '@nestjs/common';
import { OrderLookup } from '../stock/order-lookup';
import { OrderFacts } from './order-facts';
import { OrdersRepository } from './orders.repository';

/**
 * The read-only facts of orders that stock and notify check their events against. Global,
 * so that stock gets its `OrderLookup` without importing the orders module (see OrderLookup).
 */
@Global()
@Module({
  providers: [OrdersRepository, OrderFacts, { provide: OrderLookup, useExisting: OrderFacts }],
  exports: [OrderFacts, OrderLookup],
})
export class OrderFactsModule {}
