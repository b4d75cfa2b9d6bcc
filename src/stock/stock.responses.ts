import { ApiProperty } from '@nestjs/swagger';

export class StockView {
  @ApiProperty({ example: 'SKU-1' }) sku: string;
  @ApiProperty({ type: 'integer', description: 'units not reserved by an order' }) available: number;
  @ApiProperty({ type: 'integer', description: 'minor units' }) unitPrice: number;
}
