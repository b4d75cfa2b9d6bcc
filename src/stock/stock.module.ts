import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrderFactsModule } from '../orders/order-facts.module';
import { StockController } from './stock.controller';
import { StockHandlers } from './stock.handlers';
import { StockItem } from './stock-item.entity';
import { StockReservation } from './stock-reservation.entity';
import { StockService } from './stock.service';

@Module({
  imports: [TypeOrmModule.forFeature([StockItem, StockReservation]), OrderFactsModule],
  controllers: [StockController],
  providers: [StockService, StockHandlers],
  exports: [StockService],
})
export class StockModule {}
