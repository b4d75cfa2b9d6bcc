import { registerAs } from '@nestjs/config';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { parseDuration } from './duration';
import { DURATION_MESSAGE, DURATION_PATTERN, validateEnvironment } from './environment';

class MessagingEnvironment {
  @IsOptional()
  @Matches(/^amqps?:\/\/\S+$/, { message: 'RABBITMQ_URL must be an amqp:// or amqps:// URL' })
  RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10_000)
  PREFETCH = 20;

  @IsOptional() @IsIn(['classic', 'quorum'])
  QUEUE_TYPE: 'classic' | 'quorum' = 'classic';

  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  RELAY_INTERVAL = '1s';
}

export const messagingConfig = registerAs('messaging', () => {
  const environment = validateEnvironment(MessagingEnvironment, process.env);
  return {
    url: environment.RABBITMQ_URL,
    prefetch: environment.PREFETCH,
    queueType: environment.QUEUE_TYPE,
    relayIntervalMs: parseDuration(environment.RELAY_INTERVAL),
  };
});
export type MessagingConfig = ReturnType<typeof messagingConfig>;
