import { HttpStatus, INestApplication } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest, RawServerDefault } from 'fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { apiDocument } from './api-document';
import { AppModule } from './app.module';
import { HttpErrorFilter } from './common/http-error.filter';
import { readJsonText } from './common/json-body';
import { LimitedRoute, limitRequests } from './common/rate-limit';
import { echoRequestId, requestIdOf, scopeRequests } from './common/request-id';
import { secureHeaders } from './common/security-headers';
import { SyncValidationPipe } from './common/sync-validation.pipe';
import { unreadableQueryProblem } from './common/unreadable-query';
import { validateAllConfigurations } from './config/configuration';
import { httpConfig } from './config/http.config';
import { AppLogger } from './logging/app-logger';
import { logRequests } from './logging/request-log';
import { CONSOLE_ASSETS, CONSOLE_ASSETS_PREFIX } from './ops/admin-page';
import { Metrics } from './metrics/metrics.service';

export const BODY_LIMIT_BYTES = 64 * 1024;
const DOCS_PATH = '/docs';

/** What anyone on the internet may call, as often as they like unless RATE_LIMIT_ORDERS says otherwise. */
const RATE_LIMITED_ROUTES: LimitedRoute[] = [
  { method: 'POST', url: '/orders' },
  { method: 'GET', url: '/orders/:id' },
  { method: 'POST', url: '/payments/callback' },
];

/**
 * Builds the application as `main.ts` runs it; tests call the same function so they
 * exercise the real HTTP edge (Fastify body limit, raw body, validation, errors).
 */
export async function createApplication(): Promise<NestFastifyApplication> {
  validateAllConfigurations();
  const http = httpConfig();
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule,
    new FastifyAdapter({
      bodyLimit: BODY_LIMIT_BYTES,
      trustProxy: http.trustProxy,
      // Long path parameters reach the pipes, which name the parameter in a 400 (Fastify's own
      // limit of 100 answers 414 without naming it); Node's 16 KiB header limit still bounds them.
      routerOptions: { maxParamLength: 16 * 1024 },
      frameworkErrors: answerUnreadableUrl,
      genReqId: requestIdOf,
    }),
    { rawBody: true, bufferLogs: true },
  );
  app.useLogger(app.get(AppLogger));
  app.useGlobalPipes(
    new SyncValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      errorHttpStatusCode: HttpStatus.BAD_REQUEST,
    }),
  );
  app.useGlobalFilters(new HttpErrorFilter(app.get(HttpAdapterHost).httpAdapter));
  // First, so every later hook, the handler and every answer (a 429 or 401 too) know the request id.
  scopeRequests(app);
  secureHeaders(app, { docs: DOCS_PATH, consoleAssets: CONSOLE_ASSETS_PREFIX });
  if (http.ordersRateLimit) await limitRequests(app, http.ordersRateLimit, RATE_LIMITED_ROUTES);
  refuseUnreadableQueries(app);
  parseJsonBodies(app);
  countRequests(app);
  logRequests(app);
  // The console's bundle; Swagger UI already decorates the reply with sendFile.
  app.useStaticAssets({ root: CONSOLE_ASSETS, prefix: CONSOLE_ASSETS_PREFIX, decorateReply: false });
  app.enableShutdownHooks();
  mountDocs(app);
  return app;
}

/**
 * A URL whose percent-encoded bytes are not UTF-8 (e.g. an unpaired surrogate, `%ED%A0%80`)
 * cannot be routed, so no parameter can be named: 400 in the contract's shape, without
 * echoing the URL back as Fastify's default does.
 */
function answerUnreadableUrl(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  // Answered before any hook runs, so without the headers the hooks set on every other answer.
  void reply.header('x-content-type-options', 'nosniff');
  echoRequestId(request, reply);
  answerBadRequest(reply, tooLong ? 'a path parameter is too long' : 'the URL path is not valid UTF-8 once percent-decoded (for instance an encoded unpaired surrogate)');
}

/** A query value that is not UTF-8 once percent-decoded is refused as a path is, rather than searched for as it came. */
function refuseUnreadableQueries(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      const queryStart = request.url.indexOf('?');
      const problem = queryStart < 0 ? undefined : unreadableQueryProblem(request.url.slice(queryStart + 1));
      if (problem) answerBadRequest(reply, problem);
      else done();
    });
}

function answerBadRequest(reply: FastifyReply, message: string): void {
  void reply.code(HttpStatus.BAD_REQUEST).send({ statusCode: HttpStatus.BAD_REQUEST, error: 'Bad Request', message });
}

/**
 * Replaces Nest's JSON parser, raw body kept (the callback's signature is over its bytes). A body
 * that is not UTF-8 or nests too deep is refused before anything recursive reads it (`readJsonText`).
 * A POST with `content-type: application/json` and no body (what many HTTP clients send for an
 * action without input, e.g. a retry) carries no JSON to refuse: it is read as no body and
 * validation decides, instead of Fastify's 400.
 */
function parseJsonBodies(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit: BODY_LIMIT_BYTES }, (request, body, done) => {
    if (body.length === 0) return done(null, undefined);
    let text: string;
    try {
      text = readJsonText(body);
    } catch (error) {
      return done(error as Error, undefined);
    }
    parseJson(request, text, done);
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
  SwaggerModule.setup(DOCS_PATH.slice(1), app, apiDocument(app));
}
