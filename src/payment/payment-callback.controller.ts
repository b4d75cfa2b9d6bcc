import { BadRequestException, Body, Controller, HttpCode, Post, RawBodyRequest, Req, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { amountIsWrittenAsInteger } from './callback-amount';
import { CallbackSignatureGuard } from './callback-signature.guard';
import { PaymentCallbackDto } from './payment-callback.dto';
import { PaymentService } from './payment.service';
import { ApiErrors } from '../common/api-responses';

@ApiTags('payments')
@Controller('payments')
export class PaymentCallbackController {
  constructor(private readonly payments: PaymentService) {}

  /** Answers the text `success` once recorded, as gateways expect, also for a duplicate. */
  @Post('callback')
  @ApiOperation({
    operationId: 'receivePaymentCallback',
    summary: "The payment gateway's callback",
    description: 'Signed in X-Signature over the raw body; safe to receive any number of times.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'recorded (also on a duplicate)', content: { 'text/plain': { schema: { type: 'string', enum: ['success'] } } } })
  @ApiErrors(400, 401, 404, 429, 503)
  @HttpCode(200)
  @UseGuards(CallbackSignatureGuard)
  @ApiHeader({ name: 'X-Signature', description: 'hex(HMAC-SHA256(PAYMENT_CALLBACK_SECRET, rawBody))' })
  async callback(@Body() body: PaymentCallbackDto, @Req() request: RawBodyRequest<FastifyRequest>): Promise<string> {
    // The parsed number may already be rounded (`4242.0000000000001` → 4242): compare nothing inexact.
    if (!amountIsWrittenAsInteger(request.rawBody?.toString('utf8') ?? '')) {
      throw new BadRequestException(['amount must be written as a whole number of minor units, without a fraction or an exponent']);
    }
    await this.payments.recordCallback(body);
    return 'success';
  }
}
