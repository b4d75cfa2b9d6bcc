import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, ParseUUIDPipe, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, CountAnswer } from '../common/api-responses';
import { ADMIN_NAME, AdminGuard } from '../common/admin.guard';
import { notifyConfig } from '../config/notify.config';
import { ListEndpointsQuery, RecoverEndpointBody, UpdateEndpointBody } from './endpoints.dto';
import { EndpointDefaults, EndpointsService } from './endpoints.service';
import { EndpointList, EndpointView } from './notify.responses';

const uuid = new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.BAD_REQUEST });
type OperatorRequest = { [ADMIN_NAME]?: string };

@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/endpoints')
export class EndpointsController {
  private readonly defaults: EndpointDefaults;

  constructor(
    private readonly endpoints: EndpointsService,
    @Inject(notifyConfig.KEY) config: ConfigType<typeof notifyConfig>,
  ) {
    this.defaults = { successRuleDefault: config.successBody === '' ? '2xx' : 'body', concurrencyDefault: config.endpointConcurrency.initial };
  }

  @Get()
  @ApiOperation({
    operationId: 'listEndpoints',
    summary: 'List merchant endpoints',
    description: 'By origin, a page at a time: state, circuit, limits, success rule, attempts and failures in the last hour.',
  })
  @ApiOkResponse({ type: EndpointList, description: 'a page, by origin' })
  @ApiErrors(400, 401, 503)
  list(@Query() query: ListEndpointsQuery) {
    return this.endpoints.list(this.defaults, query.limit, query.cursor);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getEndpoint', summary: 'A merchant endpoint' })
  @ApiOkResponse({ type: EndpointView, description: 'the endpoint' })
  @ApiErrors(400, 401, 404, 503)
  get(@Param('id', uuid) id: string) {
    return this.endpoints.get(id, this.defaults);
  }

  @Put(':id')
  @ApiOperation({
    operationId: 'updateEndpoint',
    summary: "Set an endpoint's success rule and limits",
    description: "`concurrency` and `rateLimit` take null for the platform's default.",
  })
  @ApiOkResponse({ type: EndpointView, description: 'the endpoint as changed' })
  @ApiErrors(400, 401, 404, 503)
  async update(@Param('id', uuid) id: string, @Body() body: UpdateEndpointBody) {
    await this.endpoints.update(id, body);
    return this.endpoints.get(id, this.defaults);
  }

  /** ACTIVE again, the disabled reason cleared; what it missed meanwhile is re-run with `recover`. */
  @Post(':id/enable')
  @ApiOperation({
    operationId: 'enableEndpoint',
    summary: 'Enable a disabled endpoint',
    description: 'ACTIVE again, its disabled reason cleared; re-run what it missed with `recover`.',
  })
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: EndpointView, description: 'ACTIVE again' })
  @ApiErrors(400, 401, 404, 503)
  async enable(@Param('id', uuid) id: string) {
    await this.endpoints.enable(id);
    return this.endpoints.get(id, this.defaults);
  }

  @Post(':id/recover')
  @ApiOperation({
    operationId: 'recoverEndpoint',
    summary: 'Re-run what an endpoint missed',
    description: 'Every notification to it that failed for good since `since` is re-run.',
  })
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ type: CountAnswer, description: 'the failed notifications being re-run' })
  @ApiErrors(400, 401, 404, 503)
  async recover(@Param('id', uuid) id: string, @Body() body: RecoverEndpointBody, @Req() request: OperatorRequest) {
    return { count: await this.endpoints.recover(id, new Date(body.since), request[ADMIN_NAME]!) };
  }
}
