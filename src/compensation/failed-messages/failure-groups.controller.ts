import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-responses';
import { ADMIN_NAME, AdminGuard } from '../../common/admin.guard';
import { OperatorRequest } from './failed-messages.controller';
import { DiscardFailedMessageBody, FailureGroupParams, ListFailureGroupsQuery } from './failed-messages.dto';
import { FailureGroupDiscardAnswer, FailureGroupPage, FailureGroupRetryAnswer } from './failed-messages.responses';
import { FailedMessagesService, FailureGroupRow } from './failed-messages.service';

/** Failed messages grouped by handler, error fingerprint and endpoint: a cause acted on once. */
@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/failure-groups')
export class FailureGroupsController {
  constructor(private readonly failedMessages: FailedMessagesService) {}

  @Get()
  @ApiOperation({ summary: 'List failure groups', description: 'The failed messages of one status grouped by handler, error fingerprint and endpoint, the group seen last first.' })
  @ApiOkResponse({ type: FailureGroupPage, description: 'the group seen last first' })
  @ApiErrors(400, 401, 503)
  async list(@Query() query: ListFailureGroupsQuery) {
    return { items: (await this.failedMessages.listGroups(query.status, query.limit)).map(groupView) };
  }

  @Post(':key/retry')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Retry a failure group', description: 'Re-runs its FAILED messages once each, as retry all that match does; poison is skipped and counted.' })
  @ApiAcceptedResponse({ type: FailureGroupRetryAnswer, description: 'its FAILED messages are being re-run' })
  @ApiErrors(400, 401, 404, 503)
  retry(@Param() { key }: FailureGroupParams, @Req() request: OperatorRequest) {
    return this.failedMessages.retryGroup(key, request[ADMIN_NAME]!);
  }

  @Post(':key/discard')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Discard a failure group', description: 'Discards its FAILED messages, poison too, each with the reason in its audit trail.' })
  @ApiOkResponse({ type: FailureGroupDiscardAnswer, description: 'its FAILED messages are never re-run again' })
  @ApiErrors(400, 401, 404, 503)
  discard(@Param() { key }: FailureGroupParams, @Body() body: DiscardFailedMessageBody, @Req() request: OperatorRequest) {
    return this.failedMessages.discardGroup(key, body.reason, request[ADMIN_NAME]!);
  }
}

function groupView(group: FailureGroupRow) {
  return {
    key: group.key,
    handler: group.handler,
    fingerprint: group.fingerprint,
    endpoint: group.endpoint,
    count: group.count,
    firstSeen: group.first_seen.toISOString(),
    lastSeen: group.last_seen.toISOString(),
    samples: group.samples,
  };
}
