import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
export const REQUEST_ID_MAX_LENGTH = 128;
/** Printable ASCII, space included: what a log line, a header and a database column all carry as sent. */
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

interface RequestContext {
  requestId: string;
}

const context = new AsyncLocalStorage<RequestContext>();

/**
 * The caller's `x-request-id` when it is one we can carry (printable ASCII, at most 128
 * characters), a new UUID otherwise: a request id that cannot be used is replaced, not
 * refused, since the caller's request itself may be fine. Fastify's `genReqId`, so it is
 * `request.id` from the first hook on.
 */
export function requestIdOf(request: IncomingMessage): string {
  const sent = request.headers[REQUEST_ID_HEADER];
  return typeof sent === 'string' && sent.length <= REQUEST_ID_MAX_LENGTH && PRINTABLE_ASCII.test(sent) ? sent : randomUUID();
}

/** The id of the HTTP request this code runs for, if it runs for one. */
export function currentRequestId(): string | undefined {
  return context.getStore()?.requestId;
}

/** Answers the request id on every reply, also on those the routing refuses before any hook runs. */
export function echoRequestId(request: FastifyRequest, reply: FastifyReply): void {
  void reply.header(REQUEST_ID_HEADER, request.id);
}

/**
 * Runs everything done for a request inside its context, so every log line and audit row it
 * makes can name it (`currentRequestId`), and echoes the id on the answer, errors included.
 * Fastify carries the context on across reading the body (its content-type parsers run in an
 * AsyncResource made in the request's context), so the handler and its services are in it too.
 */
export function scopeRequests(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      echoRequestId(request, reply);
      context.run({ requestId: request.id }, done);
    });
}
