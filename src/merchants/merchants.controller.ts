import { BadRequestException, Body, Controller, Get, HttpCode, HttpStatus, Param, PipeTransform, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { RecordedOpsAction } from '../audit/audit-trail';
import { ApiErrors } from '../common/api-responses';
import { ADMIN_NAME, AdminGuard } from '../common/admin.guard';
import { isCleanText } from '../common/clean-text.validator';
import { CreateMerchantBody, ListMerchantsQuery, RotateSecretBody, UpdateMerchantBody } from './merchants.dto';
import type { MerchantRow } from './merchants.repository';
import { CreatedMerchantView, MerchantDetailView, MerchantPage, MerchantView, RotatedSecretAnswer } from './merchants.responses';
import { MerchantsService } from './merchants.service';

type OperatorRequest = { [ADMIN_NAME]?: string };

/** A merchant id in the path follows the rules of `merchantId` in an order, so a 400 names what is wrong with it. */
class MerchantIdPipe implements PipeTransform<string, string> {
  transform(id: string): string {
    if (id.length < 1 || id.length > 128 || !isCleanText(id)) {
      throw new BadRequestException('id must be 1 to 128 characters, without control characters (U+0000–U+001F) or unpaired surrogates');
    }
    return id;
  }
}
const merchantId = new MerchantIdPipe();
const ID_PARAM = { name: 'id', description: 'the merchantId its orders carry (percent-encoded in the path)' };

@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/merchants')
export class MerchantsController {
  constructor(private readonly merchants: MerchantsService) {}

  @Post()
  @ApiOperation({ operationId: 'createMerchant', summary: 'Register a merchant', description: 'Its terms, and a signing secret made now and shown this once.' })
  @ApiCreatedResponse({ type: CreatedMerchantView, description: 'registered; its secret is shown this once' })
  @ApiErrors(400, 401, 409, 503)
  async create(@Body() body: CreateMerchantBody, @Req() request: OperatorRequest) {
    const { merchant, secret } = await this.merchants.create(body, request[ADMIN_NAME]!);
    return { ...merchantView(merchant), secret };
  }

  @Get()
  @ApiOperation({ operationId: 'listMerchants', summary: 'List merchants', description: 'By id, a page at a time, without secrets.' })
  @ApiOkResponse({ type: MerchantPage, description: 'by id, without secrets' })
  @ApiErrors(400, 401, 503)
  async list(@Query() query: ListMerchantsQuery) {
    const { items, nextCursor } = await this.merchants.list(query.limit, query.cursor);
    return { items: items.map(merchantView), nextCursor: nextCursor ?? null };
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getMerchant', summary: 'A merchant and its latest ops actions' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: MerchantDetailView, description: 'the merchant, without secrets, with its latest ops actions' })
  @ApiErrors(400, 401, 404, 503)
  async get(@Param('id', merchantId) id: string) {
    const { merchant, actions } = await this.merchants.get(id);
    return { ...merchantView(merchant), actions: actions.map(actionView) };
  }

  @Put(':id')
  @ApiOperation({
    operationId: 'updateMerchant',
    summary: "Change a merchant's terms",
    description: "Its name, notify origins, events and success rule; every process's cache drops it at once.",
  })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: MerchantView, description: 'the merchant as changed' })
  @ApiErrors(400, 401, 404, 503)
  async update(@Param('id', merchantId) id: string, @Body() body: UpdateMerchantBody, @Req() request: OperatorRequest) {
    return merchantView(await this.merchants.update(id, body, request[ADMIN_NAME]!));
  }

  @Post(':id/rotate-secret')
  @ApiOperation({
    operationId: 'rotateMerchantSecret',
    summary: "Rotate a merchant's signing secret",
    description: 'A new secret, shown this once; notifications are signed with both until the grace ends.',
  })
  @HttpCode(HttpStatus.OK)
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: RotatedSecretAnswer, description: 'the new secret, shown this once; the previous one signs too until previousSecretExpiresAt' })
  @ApiErrors(400, 401, 404, 503)
  async rotateSecret(@Param('id', merchantId) id: string, @Body() body: RotateSecretBody, @Req() request: OperatorRequest) {
    const { secret, previousSecretExpiresAt } = await this.merchants.rotateSecret(id, body.graceSeconds, request[ADMIN_NAME]!);
    return { secret, previousSecretExpiresAt: previousSecretExpiresAt.toISOString() };
  }

  @Post(':id/expire-previous-secret')
  @ApiOperation({ operationId: 'expirePreviousMerchantSecret', summary: "Stop signing with a merchant's previous secret" })
  @HttpCode(HttpStatus.OK)
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: MerchantView, description: 'only the current secret signs from now on' })
  @ApiErrors(400, 401, 404, 503)
  async expirePreviousSecret(@Param('id', merchantId) id: string, @Req() request: OperatorRequest) {
    return merchantView(await this.merchants.expirePreviousSecret(id, request[ADMIN_NAME]!));
  }
}

function merchantView(row: MerchantRow): MerchantView {
  return {
    id: row.id,
    name: row.name,
    notifyOrigins: row.notify_origins,
    events: row.events,
    successRule: row.success_rule,
    secretRotatedAt: row.secret_rotated_at?.toISOString() ?? null,
    previousSecretExpiresAt: row.previous_expires_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function actionView(action: RecordedOpsAction) {
  return { action: action.action, actor: action.actor, at: action.at.toISOString(), detail: action.detail, requestId: action.requestId };
}
