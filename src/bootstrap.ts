import { HttpStatus, INestApplication, ValidationPipe } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { HttpErrorFilter } from './common/http-error.filter';
import { appConfig, LOG_LEVELS } from './config/app.config';
import { validateAllConfigurations } from './config/configuration';
import { Metrics } from './ops/metrics.service';

export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Builds the application as `main.ts` runs it; tests call the same function so they
 * exercise the real HTTP edge (Fastify body limit, raw body, validation, errors).
 */
export async function createApplication(): Promise<NestFastifyApplication> {
  validateAllConfigurations();
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule,
    new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES }),
    { rawBody: true, bufferLogs: true },
  );
  const { logLevel } = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  app.useLogger(LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(logLevel) + 1));
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      errorHttpStatusCode: HttpStatus.BAD_REQUEST,
    }),
  );
  app.useGlobalFilters(new HttpErrorFilter(app.get(HttpAdapterHost).httpAdapter));
  countRequests(app);
  app.enableShutdownHooks();
  mountDocs(app);
  return app;
}

/** Every answer counts, also those Fastify gives before Nest sees the request (413, bad JSON). */
function countRequests(app: NestFastifyApplication): void {
  const metrics = app.get(Metrics);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
      metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      done();
    });
}

function mountDocs(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('backstop')
      .setDescription('Orders, reliable order events and merchant payment notifications')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
}
