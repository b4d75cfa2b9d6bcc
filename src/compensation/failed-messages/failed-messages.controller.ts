import { orderIdOf } from '@backstop/transport';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-responses';
import { ADMIN_NAME, AdminGuard } from '../../common/admin.guard';
import { FailedMessageAction } from './failed-message-action.entity';
import { FailedMessage } from './failed-message.entity';
import { DiscardFailedMessageBody, ListFailedMessagesQuery, RetryFailedMessagesBody } from './failed-messages.dto';
import { BulkRetryAnswer, FailedMessageDetailView, FailedMessagePage, FailedMessageStatusAnswer } from './failed-messages.responses';
import { FailedMessagesService } from './failed-messages.service';

const uuid = new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.BAD_REQUEST });
export type OperatorRequest = { [ADMIN_NAME]?: string };

@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/failed-messages')
export class FailedMessagesController {
  constructor(private readonly failedMessages: FailedMessagesService) {}

  @Get()
  @ApiOperation({
    operationId: 'listFailedMessages',
    summary: 'List failed handler runs',
    description: 'Newest first, a page at a time, filtered by status, handler, order or `q`; payloads over 4 KiB are cut (`payloadTruncated`).',
  })
  @ApiOkResponse({ type: FailedMessagePage, description: 'newest first' })
  @ApiErrors(400, 401, 503)
  async list(@Query() query: ListFailedMessagesQuery) {
    const filter = {
      status: query.status,
      handler: query.handler,
      q: query.q,
      orderId: query.orderId,
      from: query.from === undefined ? undefined : new Date(query.from),
      to: query.to === undefined ? undefined : new Date(query.to),
    };
    const { items, nextCursor } = await this.failedMessages.list(filter, query.limit, query.cursor);
    return { items: items.map((row) => failedMessageView(row, row.payloadTruncated)), nextCursor };
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getFailedMessage',
    summary: 'A failed message, whole',
    description: 'Its whole payload and headers, every error and every ops action on it.',
  })
  @ApiOkResponse({ type: FailedMessageDetailView, description: 'the message whole, with every attempt and the audit trail' })
  @ApiErrors(400, 401, 404, 503)
  async get(@Param('id', uuid) id: string) {
    const { row, actions } = await this.failedMessages.get(id);
    return { ...failedMessageView(row), errors: row.errors, actions: actions.map(actionView) };
  }

  /** Declared before `:id/retry` so `retry` is never read as an id. */
  @Post('retry')
  @ApiOperation({
    operationId: 'retryFailedMessages',
    summary: 'Re-run every failed message that matches',
    description: "Each is published once again to its own handler's queue; the answer counts them.",
  })
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ type: BulkRetryAnswer, description: 'the matching messages are being re-run; poison is skipped and counted' })
  @ApiErrors(400, 401, 503)
  retryMatching(@Body() body: RetryFailedMessagesBody, @Req() request: OperatorRequest) {
    return this.failedMessages.retryMatching(body, request[ADMIN_NAME]!);
  }

  @Post(':id/retry')
  @ApiOperation({
    operationId: 'retryFailedMessage',
    summary: 'Re-run one failed message now',
    description: "Published once again to its handler's queue alone, marked `x-rerun`; success makes it RESOLVED, failure FAILED again.",
  })
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ type: FailedMessageStatusAnswer, description: 'published again to its handler alone' })
  @ApiErrors(400, 401, 404, 409, 503)
  async retry(@Param('id', uuid) id: string, @Req() request: OperatorRequest) {
    await this.failedMessages.retryOne(id, request[ADMIN_NAME]!);
    return { id, status: 'RETRYING' };
  }

  @Post(':id/discard')
  @ApiOperation({
    operationId: 'discardFailedMessage',
    summary: 'Discard a failed message',
    description: 'DISCARDED with the reason given: never re-run again, by the sweeper or by ops.',
  })
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: FailedMessageStatusAnswer, description: 'never re-run again' })
  @ApiErrors(400, 401, 404, 409, 503)
  async discard(@Param('id', uuid) id: string, @Body() body: DiscardFailedMessageBody, @Req() request: OperatorRequest) {
    await this.failedMessages.discard(id, body.reason, request[ADMIN_NAME]!);
    return { id, status: 'DISCARDED' };
  }
}

/** A cut payload is shown as the text it is: its first 4 KiB would not parse as JSON anyway. */
export function failedMessageView(row: FailedMessage, payloadTruncated = false) {
  return {
    id: row.id,
    handler: row.handler,
    queue: row.queue,
    messageId: row.messageId,
    routingKey: row.routingKey,
    // From the text: it also finds the id in a payload that does not parse (one cut short).
    orderId: orderIdOf(row.payload),
    payload: payloadTruncated ? row.payload : parseOrRaw(row.payload),
    payloadTruncated,
    headers: row.headers,
    error: row.error,
    attempts: row.attempts,
    status: row.status,
    poison: row.poison,
    sweepCount: row.sweepCount,
    firstFailedAt: row.firstFailedAt.toISOString(),
    lastFailedAt: row.lastFailedAt.toISOString(),
    nextSweepAt: row.nextSweepAt?.toISOString() ?? null,
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
    discardReason: row.discardReason,
  };
}

function actionView(action: FailedMessageAction) {
  return { action: action.action, actor: action.actor, reason: action.reason, at: action.at.toISOString() };
}

function parseOrRaw(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}
