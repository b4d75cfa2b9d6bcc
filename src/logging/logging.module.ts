import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import pino, { type Logger as Pino, stdTimeFunctions } from 'pino';
import pretty from 'pino-pretty';
import { currentRequestId } from '../common/request-id';
import { appConfig, LogLevel } from '../config/app.config';
import { AppLogger } from './app-logger';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

const PINO_LEVEL: Record<LogLevel, string> = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

/** Every line written while serving a request names it, whoever writes it (Nest's lines, a service's, the error filter's). */
function requestIdOfLine(): { requestId?: string } {
  const requestId = currentRequestId();
  return requestId === undefined ? {} : { requestId };
}

/** The one pino logger: JSON lines (LOG_FORMAT=json) for a log pipeline, or pino-pretty for a terminal, coloured only when it is one. */
@Module({
  providers: [
    {
      provide: ROOT_LOGGER,
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>): Pino =>
        pino(
          {
            level: PINO_LEVEL[config.logLevel],
            formatters: { level: (label: string) => ({ level: label }) },
            timestamp: stdTimeFunctions.isoTime,
            mixin: requestIdOfLine,
          },
          config.logFormat === 'pretty'
            ? pretty({ sync: true, colorize: Boolean(process.stdout.isTTY), singleLine: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' })
            : process.stdout,
        ),
    },
  ],
  exports: [ROOT_LOGGER],
})
class RootLoggerModule {}

/**
 * Nest's lines go through nestjs-pino to the root logger. Its per-request middleware is not
 * bound (`forRoutes: []`): it would go through Fastify's middleware layer on every request and
 * make a child logger per request. The request id comes instead from the request's context
 * (`scopeRequests`, Fastify hooks), which the root logger reads on each line, and the request
 * log is a Fastify hook (`logRequests`).
 */
@Module({
  imports: [
    RootLoggerModule,
    LoggerModule.forRootAsync({
      imports: [RootLoggerModule],
      inject: [ROOT_LOGGER],
      useFactory: (logger: Pino) => ({ pinoHttp: { logger }, forRoutes: [] }),
    }),
  ],
  providers: [AppLogger],
  exports: [AppLogger, RootLoggerModule],
})
export class LoggingModule {}
