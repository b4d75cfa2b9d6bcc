import { randomUUID } from 'node:crypto';
import { HeadedAnswer, nodeRequest } from './support/node-request';
import { ADMIN_TOKEN, RunningApp, TestWorld } from './support/test-world';

/**
 * What every answer tells a browser: never sniff a type (`X-Content-Type-Options: nosniff`), never
 * frame it, and — through each page's Content-Security-Policy — what it may load. The ops API's
 * answers hold orders and payloads: no cache keeps them. Over real HTTP, headers as sent.
 */
describe('security headers', () => {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  let world: TestWorld;
  let platform: RunningApp;

  beforeAll(async () => {
    world = await TestWorld.create('security_headers');
    platform = await world.start();
  });
  afterAll(() => world.destroy());

  const get = (path: string, headers: Record<string, string> = {}) => nodeRequest(platform.url, 'GET', path, { headers });
  const directives = (answer: HeadedAnswer) =>
    Object.fromEntries(
      String(answer.headers['content-security-policy'] ?? '')
        .split(';')
        .map((directive) => directive.trim().split(/\s+/))
        .filter(([name]) => name)
        .map(([name, ...values]) => [name, values]),
    );

  const answers: [string, () => Promise<HeadedAnswer>, number][] = [
    ['a route answering 200', () => get('/health/live'), 200],
    ['an unknown route', () => get('/no/such/route'), 404],
    ['a domain 404', () => get('/stock/NO-SUCH-SKU'), 404],
    ['a validation 400', () => get('/orders/not-a-uuid'), 400],
    ['malformed JSON', () => nodeRequest(platform.url, 'POST', '/orders', { body: '{nope' }), 400],
    ['a body over 64 KiB', () => nodeRequest(platform.url, 'POST', '/orders', { body: JSON.stringify({ merchantId: 'm'.repeat(70_000) }) }), 413],
    ['a body nested too deep', () => nodeRequest(platform.url, 'POST', '/orders', { body: '['.repeat(40) + ']'.repeat(40) }), 400],
    ['a path that is not UTF-8', () => get('/stock/%ED%A0%80'), 400],
    ['a query that is not UTF-8', () => get('/admin/failed-messages?q=%ED%A0%80', admin), 400],
    ['an ops route without the token', () => get('/admin/outbox'), 401],
    ['an ops route', () => get('/admin/outbox', admin), 200],
    ['the console page', () => get('/admin'), 200],
    ["the console's script", () => get('/admin/assets/console.js'), 200],
    ['Swagger UI', () => get('/docs'), 200],
    ["Swagger UI's script", () => get('/docs/swagger-ui-bundle.js'), 200],
    ['the OpenAPI document', () => get('/docs-json'), 200],
    ['metrics', () => get('/metrics'), 200],
  ];

  it.each(answers)('%s says nosniff and no framing', async (_, request, status) => {
    const answer = await request();
    expect(answer.status).toBe(status);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    if (answer.headers['content-security-policy']) expect(directives(answer)['frame-ancestors']).toEqual(["'none'"]);
  });

  it('sends helmet headers on API answers, a CSP that loads nothing, and no HSTS (the TLS proxy in front sends it)', async () => {
    const answer = await get(`/orders/${randomUUID()}`);
    expect(answer.headers).toMatchObject({ 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'cross-origin-resource-policy': 'same-origin' });
    expect(directives(answer)).toMatchObject({ 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] });
    expect(answer.headers['strict-transport-security']).toBeUndefined();
  });

  it.each([
    ['GET /admin/outbox', () => get('/admin/outbox', admin)],
    ['GET /admin/failed-messages', () => get('/admin/failed-messages', admin)],
    ['GET /admin/summary', () => get('/admin/summary', admin)],
    ['a 401 of the ops API', () => get('/admin/deliveries')],
    ['PUT /admin/stock/:sku', () => nodeRequest(platform.url, 'PUT', '/admin/stock/SH-SKU', { headers: admin, body: JSON.stringify({ available: 1, unitPrice: 1 }) })],
  ])('%s is never cached', async (_, request) => {
    expect((await request()).headers['cache-control']).toBe('no-store');
  });

  it("leaves the console's page and bundle cacheable, and the page its own CSP", async () => {
    const page = await get('/admin');
    expect(page.headers['cache-control']).not.toBe('no-store');
    expect(directives(page)).toMatchObject({ 'script-src': ["'self'"], 'connect-src': ["'self'"], 'base-uri': ["'none'"] });
    expect((await get('/admin/assets/console.js')).headers['cache-control']).not.toMatch(/no-store/);
  });

  it("gives Swagger UI a CSP of its own that runs only the platform's scripts", async () => {
    const page = await get('/docs');
    const policy = directives(page);
    expect(policy).toMatchObject({ 'default-src': ["'self'"], 'script-src': ["'self'"], 'object-src': ["'none'"] });
    expect(JSON.stringify(policy['script-src'])).not.toMatch(/unsafe/);
    expect(page.text).toContain('swagger-ui-bundle.js');
  });
});
