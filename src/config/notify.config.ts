import { DURATION_MESSAGE, DURATION_PATTERN, parseDuration, parseSchedule, SCHEDULE_MESSAGE, SCHEDULE_PATTERN, validateEnvironment } from '@backstop/transport';
import { registerAs } from '@nestjs/config';
import { IsIn, IsOptional, IsString, Matches, ValidateIf } from 'class-validator';

class NotifyEnvironment {
  /**
   * Signs the notifications of merchants that are not registered (each registered one has its
   * own secret), so a deployment with registered merchants alone needs none. Empty counts as unset.
   */
  @ValidateIf((_, value) => value !== undefined && value !== '')
  @Matches(/^whsec_[A-Za-z0-9+/]{16,}={0,2}$/, {
    message: 'NOTIFY_SIGNING_SECRET must be a Standard Webhooks secret: whsec_ followed by base64 (at least 12 bytes); make one with: echo "whsec_$(openssl rand -base64 32)"',
  })
  NOTIFY_SIGNING_SECRET?: string;

  @IsOptional() @Matches(SCHEDULE_PATTERN, { message: SCHEDULE_MESSAGE })
  NOTIFY_RETRY_SCHEDULE = '3s,30s,60s,120s,180s,300s';

  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  NOTIFY_TIMEOUT = '5s';

  /** An empty value is meaningful: any 2xx answer counts as delivered. */
  @IsOptional() @IsString()
  NOTIFY_SUCCESS_BODY = 'success';

  @IsOptional() @IsIn(['true', 'false'], { message: 'NOTIFY_ALLOW_PRIVATE must be true or false' })
  NOTIFY_ALLOW_PRIVATE = 'false';

  /** Where an endpoint's adaptive limit starts. */
  @IsOptional() @Matches(/^\s*([1-9]|[1-9]\d|[1-9]\d\d|1000)\s*$/, { message: 'NOTIFY_ENDPOINT_CONCURRENCY must be a whole number from 1 to 1000' })
  NOTIFY_ENDPOINT_CONCURRENCY = '4';

  @IsOptional() @Matches(/^\s*([1-9]|[1-9]\d|[1-9]\d\d|1000)\s*$/, { message: 'NOTIFY_ENDPOINT_CONCURRENCY_MIN must be a whole number from 1 to 1000' })
  NOTIFY_ENDPOINT_CONCURRENCY_MIN = '1';

  @IsOptional() @Matches(/^\s*([1-9]|[1-9]\d|[1-9]\d\d|1000)\s*$/, { message: 'NOTIFY_ENDPOINT_CONCURRENCY_MAX must be a whole number from 1 to 1000' })
  NOTIFY_ENDPOINT_CONCURRENCY_MAX = '64';

  /** Notifications one process holds waiting for one endpoint's slots; past it they wait on the broker. */
  @IsOptional() @Matches(/^\s*([1-9]|[1-9]\d|[1-9]\d\d|1000)\s*$/, { message: 'NOTIFY_ENDPOINT_WAITING must be a whole number from 1 to 1000' })
  NOTIFY_ENDPOINT_WAITING = '32';

  /** How long a notification that could not wait in line waits on the broker before it tries again; no attempt is counted. */
  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  NOTIFY_WAIT_DELAY = '1s';

  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  NOTIFY_CIRCUIT_WINDOW = '1m';

  @IsOptional() @Matches(/^\s*[1-9]\d{0,5}\s*$/, { message: 'NOTIFY_CIRCUIT_MIN_REQUESTS must be a whole number from 1 to 999999' })
  NOTIFY_CIRCUIT_MIN_REQUESTS = '10';

  @IsOptional() @Matches(/^\s*(0?\.\d*[1-9]\d*|1(\.0*)?)\s*$/, { message: 'NOTIFY_CIRCUIT_FAILURE_RATE must be a fraction above 0 and at most 1, such as 0.5' })
  NOTIFY_CIRCUIT_FAILURE_RATE = '0.5';

  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  NOTIFY_CIRCUIT_COOLDOWN = '30s';

  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  NOTIFY_DISABLE_AFTER = '5d';
}

export const notifyConfig = registerAs('notify', () => {
  const environment = validateEnvironment(NotifyEnvironment, process.env);
  const concurrency = {
    initial: Number(environment.NOTIFY_ENDPOINT_CONCURRENCY),
    min: Number(environment.NOTIFY_ENDPOINT_CONCURRENCY_MIN),
    max: Number(environment.NOTIFY_ENDPOINT_CONCURRENCY_MAX),
  };
  if (!(concurrency.min <= concurrency.initial && concurrency.initial <= concurrency.max)) {
    throw new Error(
      `Invalid configuration:\n  NOTIFY_ENDPOINT_CONCURRENCY (${concurrency.initial}) must lie between NOTIFY_ENDPOINT_CONCURRENCY_MIN (${concurrency.min}) and NOTIFY_ENDPOINT_CONCURRENCY_MAX (${concurrency.max})`,
    );
  }
  return {
    /** Unset: an order for a merchant that is not registered is refused. */
    signingKey: environment.NOTIFY_SIGNING_SECRET ? Buffer.from(environment.NOTIFY_SIGNING_SECRET.slice('whsec_'.length), 'base64') : undefined,
    retryScheduleMs: parseSchedule(environment.NOTIFY_RETRY_SCHEDULE),
    timeoutMs: parseDuration(environment.NOTIFY_TIMEOUT),
    successBody: environment.NOTIFY_SUCCESS_BODY.trim().toLowerCase(),
    allowPrivate: environment.NOTIFY_ALLOW_PRIVATE === 'true',
    disableAfterMs: parseDuration(environment.NOTIFY_DISABLE_AFTER),
    /** An endpoint's adaptive limit: where it starts, and between what it moves. */
    endpointConcurrency: concurrency,
    /** Notifications waiting in one process's line for one endpoint, at most. */
    endpointWaiting: Number(environment.NOTIFY_ENDPOINT_WAITING),
    waitDelayMs: parseDuration(environment.NOTIFY_WAIT_DELAY),
    circuit: {
      windowMs: parseDuration(environment.NOTIFY_CIRCUIT_WINDOW),
      minRequests: Number(environment.NOTIFY_CIRCUIT_MIN_REQUESTS),
      failureRate: Number(environment.NOTIFY_CIRCUIT_FAILURE_RATE),
      cooldownMs: parseDuration(environment.NOTIFY_CIRCUIT_COOLDOWN),
    },
  };
});
export type NotifyConfig = ReturnType<typeof notifyConfig>;
