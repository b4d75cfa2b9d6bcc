import { brokerUrlsProblem, DURATION_MESSAGE, DURATION_PATTERN, parseBrokerUrls, parseDuration, validateEnvironment } from '@backstop/transport';
import { registerAs } from '@nestjs/config';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min, ValidateBy } from 'class-validator';

class MessagingEnvironment {
  /** One node, or every node of a cluster separated by commas (amqp-connection-manager fails over between them). */
  @IsOptional()
  @ValidateBy({
    name: 'brokerUrls',
    validator: { validate: (value) => brokerUrlsProblem(value) === undefined, defaultMessage: (args) => `${brokerUrlsProblem(args?.value)}` },
  })
  RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10_000)
  PREFETCH = 20;

  /**
   * The merchant-notification consumer's own prefetch: how many notifications one process
   * works on at once. Apart from PREFETCH so that merchants' answer times never hold up the
   * other handlers, and large, since each endpoint's share of it is capped by its concurrency.
   */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10_000)
  NOTIFY_PREFETCH = 256;

  @IsOptional() @IsIn(['classic', 'quorum'])
  QUEUE_TYPE: 'classic' | 'quorum' = 'classic';

  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  RELAY_INTERVAL = '1s';
}

export const messagingConfig = registerAs('messaging', () => {
  const environment = validateEnvironment(MessagingEnvironment, process.env);
  return {
    urls: parseBrokerUrls(environment.RABBITMQ_URL),
    prefetch: environment.PREFETCH,
    notifyPrefetch: environment.NOTIFY_PREFETCH,
    queueType: environment.QUEUE_TYPE,
    relayIntervalMs: parseDuration(environment.RELAY_INTERVAL),
  };
});
export type MessagingConfig = ReturnType<typeof messagingConfig>;
