import { BadRequestException, Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-responses';
import { parseDuration } from '@backstop/transport';
import { AdminGuard } from '../common/admin.guard';
import { StatsQuery, StatsView } from './ops-stats.dto';
import { OpsStats } from './ops-stats.service';

const MAX_BUCKETS = 1000;

@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/stats')
export class OpsStatsController {
  constructor(private readonly stats: OpsStats) {}

  /** Deliveries by outcome and handler runs by outcome over the window, for charts. */
  @Get()
  @ApiOperation({
    operationId: 'getOpsStats',
    summary: 'Deliveries and handler runs over time',
    description: "By outcome, in buckets of `bucket` over the last `window`, oldest first: the console's charts.",
  })
  @ApiOkResponse({ type: StatsView, description: 'one bucket per interval of the window, oldest first' })
  @ApiErrors(400, 401, 503)
  async get(@Query() query: StatsQuery): Promise<StatsView> {
    const count = parseDuration(query.window) / parseDuration(query.bucket);
    if (count > MAX_BUCKETS) throw new BadRequestException(`window ${query.window} in buckets of ${query.bucket} is ${count} buckets; at most ${MAX_BUCKETS}: choose a larger bucket`);
    return { window: query.window, bucket: query.bucket, buckets: await this.stats.buckets(query.window, query.bucket) };
  }
}
