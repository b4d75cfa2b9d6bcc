import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import { CallbackSignatureGuard } from './callback-signature.guard';
import { PaymentCallbackDto } from './payment-callback.dto';
import { PaymentService } from './payment.service';

@ApiTags('payments')
@Controller('payments')
export class PaymentCallbackController {
  constructor(private readonly payments: PaymentService) {}

  /** Answers the text `success` once recorded, as gateways expect, also for a duplicate. */
  @Post('callback')
  @HttpCode(200)
  @UseGuards(CallbackSignatureGuard)
  @ApiHeader({ name: 'X-Signature', description: 'hex(HMAC-SHA256(PAYMENT_CALLBACK_SECRET, rawBody))' })
  async callback(@Body() body: PaymentCallbackDto): Promise<string> {
    await this.payments.recordCallback(body);
    return 'success';
  }
}
