import { Module } from '@nestjs/common';
import { StockController } from './stock.controller';
import { StockHandlers } from './stock.handlers';
import { StockRepository } from './stock.repository';
import { StockService } from './stock.service';

/** Stock levels, prices and reservations. Its `OrderLookup` comes from the orders module's facts (global). */
@Module({
  controllers: [StockController],
  providers: [StockService, StockHandlers, StockRepository],
  exports: [StockService],
})
export class StockModule {}
