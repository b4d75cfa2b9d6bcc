import 'reflect-metadata';
import { BackstopErrorFilter, BackstopTransport } from '@backstop/transport';
import { ConsoleLogger, Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions } from '@nestjs/microservices';
import { AppModule } from './app.module';
import { loyaltyConfig } from './loyalty.config';

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug'];

async function main(): Promise<void> {
  const config = loyaltyConfig();
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule.register(config), {
    strategy: new BackstopTransport({
      url: config.RABBITMQ_URL,
      queue: 'loyalty.points',
      retrySchedule: config.LOYALTY_RETRY_SCHEDULE,
      prefetch: config.PREFETCH,
      queueType: config.QUEUE_TYPE,
    }),
    // JSON lines: the transport logs each delivery as one object (queue, messageId, orderId,
    // attempt, type, msg), which ConsoleLogger writes as the `message` of one line.
    logger: new ConsoleLogger({ json: config.LOG_FORMAT === 'json', logLevels: LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(config.LOG_LEVEL) + 1) }),
  });
  app.useGlobalFilters(new BackstopErrorFilter());
  app.enableShutdownHooks();
  await app.listen();
  Logger.log('loyalty-points consuming order.events', 'Bootstrap');
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
