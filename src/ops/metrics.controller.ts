import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-responses';
import { MetricsTokenGuard } from '../common/metrics-token.guard';
import { Metrics } from '../metrics/metrics.service';

@ApiTags('ops')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  @UseGuards(MetricsTokenGuard)
  // Either requirement satisfies OpenAPI: none while METRICS_TOKEN is unset, the metrics token once it is.
  @ApiSecurity({})
  @ApiSecurity('metrics')
  @ApiOperation({ operationId: 'scrapeMetrics', summary: 'Prometheus scrape', description: 'Open unless METRICS_TOKEN is set; then it takes `Authorization: Bearer $METRICS_TOKEN`.' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiErrors(401)
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
