import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, ParseUUIDPipe, Post, Put, Req, UseGuards } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ADMIN_NAME, AdminGuard } from '../common/admin.guard';
import { notifyConfig } from '../config/notify.config';
import type { SuccessRule } from './endpoint.entity';
import { RecoverEndpointBody, UpdateEndpointBody } from './endpoints.dto';
import { EndpointsService } from './endpoints.service';
import { NotifyException } from './notify.exception';

const uuid = new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.BAD_REQUEST });
type OperatorRequest = { [ADMIN_NAME]?: string };

@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/endpoints')
export class EndpointsController {
  private readonly defaultRule: SuccessRule;

  constructor(
    private readonly endpoints: EndpointsService,
    @Inject(notifyConfig.KEY) config: ConfigType<typeof notifyConfig>,
  ) {
    this.defaultRule = config.successBody === '' ? '2xx' : 'body';
  }

  @Get()
  async list() {
    return { items: await this.endpoints.list(this.defaultRule) };
  }

  @Get(':id')
  get(@Param('id', uuid) id: string) {
    return this.endpoints.get(id, this.defaultRule);
  }

  @Put(':id')
  async update(@Param('id', uuid) id: string, @Body() body: UpdateEndpointBody) {
    if (body.concurrency !== undefined) throw NotifyException.notEnforcedYet('concurrency');
    if (body.rateLimit !== undefined && body.rateLimit !== null) throw NotifyException.notEnforcedYet('rateLimit');
    if (body.successRule) await this.endpoints.setSuccessRule(id, body.successRule);
    return this.endpoints.get(id, this.defaultRule);
  }

  /** ACTIVE again, the disabled reason cleared; what it missed meanwhile is re-run with `recover`. */
  @Post(':id/enable')
  @HttpCode(HttpStatus.OK)
  async enable(@Param('id', uuid) id: string) {
    await this.endpoints.enable(id);
    return this.endpoints.get(id, this.defaultRule);
  }

  @Post(':id/recover')
  @HttpCode(HttpStatus.ACCEPTED)
  async recover(@Param('id', uuid) id: string, @Body() body: RecoverEndpointBody, @Req() request: OperatorRequest) {
    return { count: await this.endpoints.recover(id, new Date(body.since), request[ADMIN_NAME]!) };
  }
}
