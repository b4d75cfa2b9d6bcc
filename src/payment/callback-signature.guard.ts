import { CanActivate, ExecutionContext, Inject, Injectable, RawBodyRequest } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { paymentConfig } from '../config/payment.config';
import { isValidCallbackSignature } from './callback-signature';
import { PaymentException } from './payment.exception';

/** Runs before the body is even validated: an unsigned caller learns nothing about our rules. */
@Injectable()
export class CallbackSignatureGuard implements CanActivate {
  constructor(@Inject(paymentConfig.KEY) private readonly config: ConfigType<typeof paymentConfig>) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<RawBodyRequest<FastifyRequest>>();
    const signature = request.headers['x-signature'];
    if (!isValidCallbackSignature(this.config.callbackSecret, request.rawBody ?? Buffer.alloc(0), typeof signature === 'string' ? signature : undefined)) {
      throw PaymentException.badSignature();
    }
    return true;
  }
}
