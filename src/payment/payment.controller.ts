import { Controller, HttpStatus, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PaymentService } from './payment.service';

@ApiTags('orders')
@Controller('orders')
export class PaymentController {
  constructor(private readonly payments: PaymentService) {}

  /** 200 PAID; 202 PAYMENT_PENDING when the gateway's answer is not known yet; 402 DECLINED (the order stays payable). */
  @Post(':id/pay')
  async pay(@Param('id', new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.BAD_REQUEST })) id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const result = await this.payments.pay(id);
    if (result.status === 'PAYMENT_PENDING') reply.status(HttpStatus.ACCEPTED);
    else if (result.status === 'DECLINED') reply.status(HttpStatus.PAYMENT_REQUIRED);
    else reply.status(HttpStatus.OK);
    return result;
  }
}
