import { Global, Module } from '@nestjs/common';
import { OrderLookup } from '../stock/order-lookup';
import { CommittedOrders } from './committed-orders';
import { OrderFacts } from './order-facts';
import { OrdersRepository } from './orders.repository';

/**
 * The read-only facts of orders that stock and notify check their events against, and the
 * orders this process committed lately (`CommittedOrders`), which the orders module
 * remembers for them. Global, so that stock gets its `OrderLookup` without importing the
 * orders module (see OrderLookup).
 */
@Global()
@Module({
  providers: [OrdersRepository, OrderFacts, CommittedOrders, { provide: OrderLookup, useExisting: OrderFacts }],
  exports: [OrderFacts, OrderLookup, CommittedOrders],
})
export class OrderFactsModule {}
