import { BadRequestException, Body, Controller, Get, Param, PipeTransform, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminGuard } from '../common/admin.guard';
import type { StockLevel } from './stock.repository';
import { SetStockDto, SKU_PATTERN } from './stock.dto';
import { StockService } from './stock.service';
import { ApiErrors } from '../common/api-responses';
import { StockView } from './stock.responses';

class SkuPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!SKU_PATTERN.test(value)) {
      throw new BadRequestException('sku must be 1 to 64 letters, digits, or . _ : - and start with a letter or digit');
    }
    return value;
  }
}

const view = ({ sku, available, unitPrice }: StockLevel) => ({ sku, available, unitPrice });

@ApiTags('stock')
@Controller()
export class StockController {
  constructor(private readonly stock: StockService) {}

  @Get('stock/:sku')
  @ApiOperation({ operationId: 'getStock', summary: 'Availability and unit price of a SKU' })
  @ApiOkResponse({ type: StockView, description: 'the SKU' })
  @ApiErrors(400, 404, 503)
  async get(@Param('sku', SkuPipe) sku: string) {
    return view(await this.stock.get(sku));
  }

  @ApiTags('ops')
  @ApiBearerAuth()
  @UseGuards(AdminGuard)
  @Put('admin/stock/:sku')
  @ApiOperation({ operationId: 'setStock', summary: 'Create or set a SKU', description: 'Its available quantity and unit price.' })
  @ApiOkResponse({ type: StockView, description: 'the SKU as set' })
  @ApiErrors(400, 401, 503)
  async set(@Param('sku', SkuPipe) sku: string, @Body() body: SetStockDto) {
    return view(await this.stock.set(sku, body.available, body.unitPrice));
  }
}
