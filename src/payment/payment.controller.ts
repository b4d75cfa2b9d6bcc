import { Controller, HttpStatus, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PaymentService } from './payment.service';
import { ApiErrors } from '../common/api-responses';
import { DeclinedAnswer, PaidAnswer, PaymentPendingAnswer } from './payment.responses';

@ApiTags('orders')
@Controller('orders')
export class PaymentController {
  constructor(private readonly payments: PaymentService) {}

  /** 200 PAID; 202 PAYMENT_PENDING when the gateway's answer is not known yet; 402 DECLINED (the order stays payable). */
  @Post(':id/pay')
  @ApiOperation({
    operationId: 'payOrder',
    summary: 'Charge an order',
    description: 'Through the payment gateway: 200 PAID, 202 while the outcome is not known (the check-back settles it), 402 declined.',
  })
  @ApiOkResponse({ type: PaidAnswer, description: 'the gateway charged the order: it is PAID' })
  @ApiAcceptedResponse({ type: PaymentPendingAnswer, description: 'the outcome is not known yet (gateway timeout); the check-back settles it' })
  @ApiResponse({ status: 402, type: DeclinedAnswer, description: 'the gateway declined; the order stays CONFIRMED and payable' })
  @ApiErrors(400, 404, 409, 503)
  async pay(@Param('id', new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.BAD_REQUEST })) id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const result = await this.payments.pay(id);
    if (result.status === 'PAYMENT_PENDING') reply.status(HttpStatus.ACCEPTED);
    else if (result.status === 'DECLINED') reply.status(HttpStatus.PAYMENT_REQUIRED);
    else reply.status(HttpStatus.OK);
    return result;
  }
}
