import { Body, Controller, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, MaxLength } from 'class-validator';
import { ADMIN_NAME, AdminGuard } from '../common/admin.guard';
import { ApiErrors } from '../common/api-responses';
import { IsCleanText } from '../common/clean-text.validator';
import { IsHttpUrl } from '../common/is-http-url.validator';
import { ManualSends } from './manual-sends.service';

type OperatorRequest = { [ADMIN_NAME]?: string };
const uuid = new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.BAD_REQUEST });

export class TestMerchantBody {
  @ApiPropertyOptional({ example: 'https://merchant.example/notify', maxLength: 2048, description: "where to send it; by default the notifyUrl of the merchant's latest order" })
  @IsOptional() @IsHttpUrl() @IsCleanText() @MaxLength(2048)
  url?: string;
}

export class ManualSendView {
  @ApiProperty({ type: 'integer', description: "the attempt's row in the delivery log" }) deliveryId: number;
  @ApiProperty({ format: 'uuid', description: 'the webhook-id sent' }) webhookId: string;
  @ApiProperty() url: string;
  @ApiProperty() delivered: boolean;
  @ApiProperty({ type: 'integer', nullable: true, description: "the merchant's HTTP status; null when no answer came" }) status: number | null;
  @ApiProperty({ type: 'integer' }) durationMs: number;
  @ApiProperty({ type: 'string', nullable: true, description: "the first 1 KiB of the merchant's answer" }) snippet: string | null;
  @ApiProperty({ type: 'string', nullable: true, description: 'why it did not count as delivered' }) error: string | null;
}

/** Sends by hand: a merchant's test event, and a notification again. Each is one attempt in the delivery log and an entry in the audit trail. */
@ApiTags('ops')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin')
export class ManualSendsController {
  constructor(private readonly sends: ManualSends) {}

  @Post('merchants/:id/test')
  @ApiOperation({
    operationId: 'testMerchant',
    summary: 'Send a merchant a signed test event',
    description: "A `ping` event, signed as a notification is, to the URL given or the notifyUrl of the merchant's latest order; answers how the attempt went.",
  })
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: ManualSendView, description: 'a signed `ping` event was sent; how the attempt went' })
  @ApiErrors(400, 401, 404, 422, 503)
  test(@Param('id') merchantId: string, @Body() body: TestMerchantBody, @Req() request: OperatorRequest) {
    return this.sends.ping(merchantId, body.url, request[ADMIN_NAME]!);
  }

  @Post('notifications/:eventId/resend')
  @ApiOperation({
    operationId: 'resendNotification',
    summary: 'Send a notification again',
    description: 'Now, with the same webhook-id, whatever its state; answers how the attempt went.',
  })
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: ManualSendView, description: 'sent again, with the same webhook-id; how the attempt went' })
  @ApiErrors(400, 401, 404, 409, 503)
  resend(@Param('eventId', uuid) eventId: string, @Req() request: OperatorRequest) {
    return this.sends.resend(eventId, request[ADMIN_NAME]!);
  }
}
