import { formatDuration } from '@backstop/transport';
import rateLimit from '@fastify/rate-limit';
import { HttpException, HttpStatus } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RateLimit } from '../config/http.config';

export interface LimitedRoute {
  method: string;
  url: string;
}

/**
 * At most `limit.max` requests per window from one client address (Fastify's `request.ip`, which
 * TRUST_PROXY lets come from X-Forwarded-For; IPv6 counted per /64) on each of `routes`, counted
 * per route: a gateway's callbacks never use up the orders of a shop behind the same address.
 * Checked when the request arrives, before its body is read. Over it: 429 with Retry-After, in
 * whole seconds. Call before the routes are registered; counts are per process.
 */
export async function limitRequests(app: NestFastifyApplication, limit: RateLimit, routes: LimitedRoute[]): Promise<void> {
  const window = formatDuration(limit.windowMs);
  await app.register(rateLimit, {
    global: false,
    max: limit.max,
    timeWindow: limit.windowMs,
    errorResponseBuilder: (_, { ttl }) =>
      new HttpException(
        `too many requests from this address: at most ${limit.max} per ${window} on this route; retry in ${Math.ceil(ttl / 1000)} s`,
        HttpStatus.TOO_MANY_REQUESTS,
      ),
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (!routes.some(({ method, url }) => url === route.url && methods.includes(method))) return;
    // An options object gives the route a count of its own; without one, the routes would share one.
    route.onRequest = [...[route.onRequest ?? []].flat(), fastify.rateLimit({})];
  });
}
