import { TopologyReadiness } from '../src/messaging/topology-readiness';
import { http } from './support/http';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

type Operation = { responses: Record<string, { description?: string; content?: Record<string, { schema?: Record<string, unknown> }> }>; security?: unknown[]; parameters?: { name: string; in: string; schema?: { type?: string } }[] };
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** The OpenAPI document at /docs-json: every operation says what it answers, typed. */
describe('OpenAPI document', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let document: any;
  let operations: [string, Operation][];

  beforeAll(async () => {
    world = await TestWorld.create('openapi');
    platform = await world.start();
    // A platform closed while it still declares its queues fails the suite; let it settle first.
    await waitFor(() => platform.app.get(TopologyReadiness).ready, { what: 'the handler topology to be declared' });
    document = (await http(platform.url, 'GET', '/docs-json')).body;
    operations = Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(([path, item]) =>
      METHODS.filter((method) => item[method]).map((method): [string, Operation] => [`${method.toUpperCase()} ${path}`, item[method]]),
    );
  });
  afterAll(() => world.destroy());

  it('is OpenAPI 3.1 with an opaque bearer scheme, not a JWT one', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.securitySchemes.bearer.bearerFormat).toBeUndefined();
    expect(operations.length).toBeGreaterThan(20);
  });

  it('gives every operation a typed 2xx response, and a description to every response', () => {
    const untyped = operations.filter(([, operation]) =>
      !Object.entries(operation.responses).some(([status, response]) =>
        /^2\d\d$/.test(status) && Object.values(response.content ?? {}).some((media) => media.schema && ('$ref' in media.schema || 'type' in media.schema)),
      ),
    ).map(([name]) => name);
    expect(untyped).toEqual([]);
    const undescribed = operations.flatMap(([name, operation]) =>
      Object.entries(operation.responses).filter(([, response]) => !response.description).map(([status]) => `${name} ${status}`),
    );
    expect(undescribed).toEqual([]);
  });

  it('resolves every schema reference', () => {
    const references = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((match) => match[1]);
    expect(references.length).toBeGreaterThan(0);
    expect(references.filter((name) => !document.components.schemas[name])).toEqual([]);
  });

  it('asks the bearer token on every ops operation and documents its 401', () => {
    const admin = operations.filter(([name]) => / \/admin\//.test(name));
    expect(admin.length).toBeGreaterThan(10);
    for (const [name, operation] of admin) {
      expect({ name, security: operation.security }).toEqual({ name, security: [{ bearer: [] }] });
      expect({ name, has401: '401' in operation.responses }).toEqual({ name, has401: true });
    }
  });

  it('documents POST /orders/{id}/pay with the statuses it really answers, and types every limit', () => {
    const pay = document.paths['/orders/{id}/pay'].post as Operation;
    expect(Object.keys(pay.responses)).toEqual(expect.arrayContaining(['200', '202', '402', '404', '409']));
    expect(pay.responses['201']).toBeUndefined();
    const limits = operations.flatMap(([, operation]) => (operation.parameters ?? []).filter((parameter) => parameter.name === 'limit'));
    expect(limits.length).toBeGreaterThan(1);
    for (const limit of limits) expect(limit.schema?.type).toBe('integer');
  });

  it('documents the notification merchants receive as a webhook, with its signature headers', () => {
    const webhook = document.webhooks.orderNotification.post;
    expect(webhook.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/MerchantNotification');
    expect(webhook.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    expect(Object.keys(document.components.schemas.MerchantNotification.properties)).toEqual(
      expect.arrayContaining(['id', 'type', 'orderId', 'merchantId', 'status', 'totalAmount', 'currency', 'tradeNo', 'paidAt', 'reason']),
    );
  });
});
