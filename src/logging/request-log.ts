import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger as Pino } from 'pino';
import { ROOT_LOGGER } from './logging.module';

// Probes and scrapes every few seconds would drown the request log.
const UNLOGGED = /^\/(health\/|metrics|admin\/assets\/)/;

/**
 * One line per answered request, with its latency and request id: method, URL and status only,
 * since headers carry the admin token and signatures. A Fastify hook, so every answer is logged, also those
 * Fastify gives before Nest sees the request (413, bad JSON).
 */
export function logRequests(app: NestFastifyApplication): void {
  const logger = app.get<Pino>(ROOT_LOGGER);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      if (!UNLOGGED.test(request.url)) {
        // Named here: the answer is finished outside the request's context.
        const line = {
          requestId: request.id,
          req: { id: request.id, method: request.method, url: request.url },
          res: { statusCode: reply.statusCode },
          responseTime: Math.round(reply.elapsedTime),
        };
        if (reply.statusCode >= 500) logger.warn(line, 'request errored');
        else logger.info(line, 'request completed');
      }
      done();
    });
}
