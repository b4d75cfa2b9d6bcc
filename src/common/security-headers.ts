import helmet, { HelmetOptions } from 'helmet';
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

/** Helmet's options besides the CSP, the same for the API and the docs. */
const COMMON: HelmetOptions = { frameguard: { action: 'deny' }, strictTransportSecurity: false };

/**
 * Headers every answer carries (helmet's: `X-Content-Type-Options: nosniff`, `X-Frame-Options`,
 * a strict CSP, …), Swagger UI's CSP on the docs, and `Cache-Control: no-store` on the ops API,
 * whose answers hold orders and payloads no shared cache should keep. Pages that set their own
 * CSP (the console) keep it: a header the handler sets wins over helmet's. HSTS is left to the
 * TLS proxy in front, the one that knows the host name and whether every subdomain has TLS.
 *
 * Helmet itself, each policy built once at start: @fastify/helmet builds helmet's middleware
 * again on every request (its options merged, the CSP parsed), which was a few percent of the
 * platform's CPU on the order path.
 */
export function secureHeaders(app: NestFastifyApplication, paths: { docs: string; consoleAssets: string }): void {
  const fastify = app.getHttpAdapter().getInstance();
  const isDocs = (url: string) => url === paths.docs || url.startsWith(`${paths.docs}/`);
  const api = helmet({ ...COMMON, contentSecurityPolicy: { useDefaults: false, directives: API_POLICY } });
  const docs = helmet({ ...COMMON, contentSecurityPolicy: { useDefaults: false, directives: DOCS_POLICY } });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.url.startsWith('/admin/') && !request.url.startsWith(paths.consoleAssets)) void reply.header('cache-control', 'no-store');
    // Set on the raw response, as @fastify/helmet does: headers the handler sets through Fastify win.
    (isDocs(request.routeOptions.url ?? '') ? docs : api)(request.raw, reply.raw, () => done());
  });
}
