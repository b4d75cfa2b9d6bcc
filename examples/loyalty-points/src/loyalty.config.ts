import { SCHEDULE_MESSAGE, SCHEDULE_PATTERN, validateEnvironment } from '@backstop/transport';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

class LoyaltyEnvironment {
  @IsOptional() @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/loyalty';

  @IsOptional() @Matches(/^amqps?:\/\/\S+$/, { message: 'RABBITMQ_URL must be an amqp:// or amqps:// URL' })
  RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';

  @IsOptional() @Matches(SCHEDULE_PATTERN, { message: SCHEDULE_MESSAGE })
  LOYALTY_RETRY_SCHEDULE = '1s,5s,30s';

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10_000)
  PREFETCH = 20;

  @IsOptional() @IsIn(['classic', 'quorum'])
  QUEUE_TYPE: 'classic' | 'quorum' = 'classic';

  @IsOptional() @IsIn(['error', 'warn', 'log', 'debug'])
  LOG_LEVEL: 'error' | 'warn' | 'log' | 'debug' = 'log';

  /** `json`: one JSON object a line, for a log pipeline; `text`: Nest's coloured lines, for a terminal. */
  @IsOptional() @IsIn(['json', 'text'])
  LOG_FORMAT: 'json' | 'text' = 'json';
}

export type LoyaltyConfig = LoyaltyEnvironment;

/** The service's whole configuration, read once at start; a bad variable stops it, named. */
export function loyaltyConfig(): LoyaltyConfig {
  return validateEnvironment(LoyaltyEnvironment, process.env);
}
