import { registerAs } from '@nestjs/config';
import { IsOptional, IsString, Matches, MinLength } from 'class-validator';
import { parseDuration } from './duration';
import { DURATION_MESSAGE, DURATION_PATTERN, validateEnvironment } from './environment';

class PaymentEnvironment {
  @IsString() @MinLength(16, { message: 'PAYMENT_CALLBACK_SECRET must be at least 16 characters' })
  PAYMENT_CALLBACK_SECRET: string;

  /** Unset or empty: the platform's own sandbox gateway under /sandbox/gateway. */
  @IsOptional()
  @Matches(/^(https?:\/\/\S+)?$/, { message: 'PAYMENT_GATEWAY_URL must be an http:// or https:// URL' })
  PAYMENT_GATEWAY_URL = '';

  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  PAYMENT_GATEWAY_TIMEOUT = '10s';

  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  ORDER_PAYMENT_TIMEOUT = '30m';

  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  CHECKBACK_AFTER = '30s';
}

export const paymentConfig = registerAs('payment', () => {
  const environment = validateEnvironment(PaymentEnvironment, process.env);
  return {
    callbackSecret: environment.PAYMENT_CALLBACK_SECRET,
    gatewayUrl: environment.PAYMENT_GATEWAY_URL.replace(/\/+$/, '') || undefined,
    gatewayTimeoutMs: parseDuration(environment.PAYMENT_GATEWAY_TIMEOUT),
    orderPaymentTimeoutMs: parseDuration(environment.ORDER_PAYMENT_TIMEOUT),
    checkBackAfterMs: parseDuration(environment.CHECKBACK_AFTER),
  };
});
export type PaymentConfig = ReturnType<typeof paymentConfig>;
