import { HttpStatus, INestApplication, ValidationPipe } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
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
    new FastifyAdapter({
      bodyLimit: BODY_LIMIT_BYTES,
      // Long path parameters reach the pipes, which name the parameter in a 400 (Fastify's own
      // limit of 100 answers 414 without naming it); Node's 16 KiB header limit still bounds them.
      routerOptions: { maxParamLength: 16 * 1024 },
      frameworkErrors: answerUnreadableUrl,
    }),
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

/**
 * A URL whose percent-encoded bytes are not UTF-8 (e.g. an unpaired surrogate, `%ED%A0%80`)
 * cannot be routed, so no parameter can be named: 400 in the contract's shape, without
 * echoing the URL back as Fastify's default does.
 */
function answerUnreadableUrl(error: FastifyError, _: FastifyRequest, reply: FastifyReply): void {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  void reply.code(HttpStatus.BAD_REQUEST).send({
    statusCode: HttpStatus.BAD_REQUEST,
    error: 'Bad Request',
    message: tooLong
      ? 'a path parameter is too long'
      : 'the URL path is not valid UTF-8 once percent-decoded (for instance an encoded unpaired surrogate)',
  });
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
