import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { stdTimeFunctions } from 'pino';
import pretty from 'pino-pretty';
import { appConfig, LogLevel } from '../config/app.config';
import { AppLogger } from './app-logger';

const PINO_LEVEL: Record<LogLevel, string> = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };
// Probes and scrapes every few seconds would drown the request log.
const UNLOGGED = /^\/(health\/|metrics|admin\/assets\/)/;

/**
 * One pino logger for Nest's lines and the request log: JSON lines (LOG_FORMAT=json) for a
 * log pipeline, or pino-pretty for a terminal, coloured only when it is one.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) => ({
        pinoHttp: [
          {
            level: PINO_LEVEL[config.logLevel],
            formatters: { level: (label: string) => ({ level: label }) },
            timestamp: stdTimeFunctions.isoTime,
            // Method, URL and status only: headers carry the admin token and signatures.
            serializers: {
              req: (request: { method: string; url: string; id: unknown }) => ({ id: request.id, method: request.method, url: request.url }),
              res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
            },
            autoLogging: { ignore: (request: IncomingMessage) => UNLOGGED.test(request.url ?? '') },
            customLogLevel: (_: IncomingMessage, response: ServerResponse, error?: Error) => (error || response.statusCode >= 500 ? 'warn' : 'info'),
          },
          config.logFormat === 'pretty'
            ? pretty({ sync: true, colorize: Boolean(process.stdout.isTTY), singleLine: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' })
            : process.stdout,
        ],
      }),
    }),
  ],
  providers: [AppLogger],
  exports: [AppLogger],
})
export class LoggingModule {}
