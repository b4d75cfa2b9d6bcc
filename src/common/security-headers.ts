import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

type Policy = Record<string, string[]>;

/** An API answer is data, never a page: it loads nothing and nothing frames it. */
const API_POLICY: Policy = { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] };

/** Swagger UI's own scripts, styles, icons and requests; it writes inline `<style>` and style attributes. */
const DOCS_POLICY: Policy = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/**
 * Headers every answer carries (helmet's: `X-Content-Type-Options: nosniff`, `X-Frame-Options`,
 * a strict CSP, …), Swagger UI's CSP on the docs, and `Cache-Control: no-store` on the ops API,
 * whose answers hold orders and payloads no shared cache should keep. Pages that set their own
 * CSP (the console) keep it: a header the handler sets wins over helmet's. HSTS is left to the
 * TLS proxy in front, the one that knows the host name and whether every subdomain has TLS.
 * Call before the routes are registered: the docs' policy is attached route by route.
 */
export async function secureHeaders(app: NestFastifyApplication, paths: { docs: string; consoleAssets: string }): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const isDocs = (url: string) => url === paths.docs || url.startsWith(`${paths.docs}/`);
  // Before helmet's own onRoute hook, which reads the route's `helmet` option.
  fastify.addHook('onRoute', (route) => {
    if (isDocs(route.url)) route.helmet = { contentSecurityPolicy: { useDefaults: false, directives: DOCS_POLICY } };
  });
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: API_POLICY },
    frameguard: { action: 'deny' },
    strictTransportSecurity: false,
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.url.startsWith('/admin/') && !request.url.startsWith(paths.consoleAssets)) void reply.header('cache-control', 'no-store');
    done();
  });
}
