import { DURATION_MESSAGE, DURATION_PATTERN, parseDuration, validateEnvironment } from '@backstop/transport';
import { registerAs } from '@nestjs/config';
import { IsIn, IsOptional, IsString, Matches, MinLength } from 'class-validator';

class PaymentEnvironment {
  @IsString() @MinLength(16, { message: 'PAYMENT_CALLBACK_SECRET must be at least 16 characters (the secret your gateway signs callbacks with); for a sandbox, make one with: openssl rand -hex 24' })
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

  /** The first wait after a check-back with no answer; each next one doubles, up to a minute. */
  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  CHECKBACK_BACKOFF = '2s';

  /** Unset: on outside production without PAYMENT_GATEWAY_URL, off otherwise. */
  @IsOptional() @IsIn(['true', 'false'], { message: 'PAYMENT_SANDBOX must be true or false' })
  PAYMENT_SANDBOX?: 'true' | 'false';

  /** Read here only for the sandbox's default: production never fakes a charge unless told to. */
  @IsOptional() @IsString()
  NODE_ENV?: string;
}

export const paymentConfig = registerAs('payment', () => {
  const environment = validateEnvironment(PaymentEnvironment, process.env);
  const gatewayUrl = environment.PAYMENT_GATEWAY_URL.replace(/\/+$/, '') || undefined;
  const sandbox = environment.PAYMENT_SANDBOX
    ? environment.PAYMENT_SANDBOX === 'true'
    : environment.NODE_ENV !== 'production' && gatewayUrl === undefined;
  if (!gatewayUrl && !sandbox) {
    throw new Error(
      'Invalid configuration:\n  PAYMENT_GATEWAY_URL: required when the sandbox gateway is off (NODE_ENV=production or PAYMENT_SANDBOX=false); set it, or PAYMENT_SANDBOX=true',
    );
  }
  return {
    callbackSecret: environment.PAYMENT_CALLBACK_SECRET,
    gatewayUrl,
    /** Whether /sandbox/gateway is served (and, without a gateway URL, charges go to it). */
    sandbox,
    gatewayTimeoutMs: parseDuration(environment.PAYMENT_GATEWAY_TIMEOUT),
    orderPaymentTimeoutMs: parseDuration(environment.ORDER_PAYMENT_TIMEOUT),
    checkBackAfterMs: parseDuration(environment.CHECKBACK_AFTER),
    checkBackBackoffMs: parseDuration(environment.CHECKBACK_BACKOFF),
  };
});
export type PaymentConfig = ReturnType<typeof paymentConfig>;
