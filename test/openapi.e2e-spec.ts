import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { SCHEMA_FILE, servedDocument, typesOf } from '../scripts/api-types';
import { TopologyReadiness } from '../src/messaging/topology-readiness';
import { http } from './support/http';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

type Operation = {
  operationId?: string;
  summary?: string;
  responses: Record<string, { description?: string; headers?: Record<string, unknown>; content?: Record<string, { schema?: Record<string, unknown> }> }>;
  security?: unknown[];
  parameters?: { name: string; in: string; schema?: { type?: string }; $ref?: string }[];
};
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/**
 * The document checked against the OpenAPI Initiative's JSON schema of its version by
 * @seriousme/openapi-schema-validator. The package is an ES module, which Jest's CommonJS
 * runtime cannot load, so its command runs in a Node process of its own.
 */
async function validateOpenApi(document: unknown): Promise<{ valid: boolean; errors?: unknown }> {
  const folder = await mkdtemp(join(tmpdir(), 'backstop-openapi-'));
  try {
    const file = join(folder, 'openapi.json');
    await writeFile(file, JSON.stringify(document));
    const command = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
    // It prints its verdict as JSON and exits 1 when the document is not valid.
    const stdout = await promisify(execFile)(process.execPath, [command, file]).then(
      (result) => result.stdout,
      (error: { stdout?: string }) => error.stdout ?? '',
    );
    return JSON.parse(stdout);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Every object in the document that has `key`, by its JSON pointer. */
function pointersTo(value: unknown, key: string, pointer = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const here = !Array.isArray(value) && key in value && typeof (value as Record<string, unknown>)[key] !== 'object' ? [pointer] : [];
  return [...here, ...Object.entries(value).flatMap(([name, inner]) => pointersTo(inner, key, `${pointer}/${name}`))];
}

/** Where two texts first differ, by line, or null: a whole generated file in a failure says nothing. */
function firstDifference(expected: string, actual: string): string | null {
  const [want, got] = [expected.split('\n'), actual.split('\n')];
  const line = want.findIndex((text, index) => text !== got[index]);
  if (line < 0) return want.length === got.length ? null : `line ${want.length + 1}: ${got.length - want.length} more line(s) than expected`;
  return `line ${line + 1}: expected ${JSON.stringify(want[line])}, found ${JSON.stringify(got[line] ?? '(end of file)')}`;
}

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

  it("is a valid OpenAPI 3.1 document by the specification's own JSON schema", async () => {
    expect(await validateOpenApi(document)).toEqual({ valid: true });
    // The validator can fail too: the same document without its paths is not one.
    expect((await validateOpenApi({ ...document, paths: 'none' })).valid).toBe(false);
  });

  it("writes nullable fields in 3.1's JSON Schema, never 3.0's `nullable`, which 3.1 tools ignore", () => {
    expect(pointersTo(document, 'nullable')).toEqual([]);
    const { concurrency, rateLimit } = document.components.schemas.UpdateEndpointBody.properties;
    expect(concurrency).toMatchObject({ type: ['integer', 'null'], minimum: 1, maximum: 100 });
    expect(rateLimit).toMatchObject({ type: ['integer', 'null'], minimum: 1, maximum: 10000 });
    // A nullable reference cannot take a sibling type: it is one of the reference or null.
    expect(document.components.schemas.OrderDetailView.properties.payment).toEqual({ oneOf: [{ $ref: '#/components/schemas/OrderPaymentView' }, { type: 'null' }] });
    // An enum that takes null lists it, or null would fail the enum.
    expect(document.components.schemas.MerchantView.properties.successRule).toMatchObject({ type: ['string', 'null'], enum: ['body', '2xx', null] });
  });

  it('gives every operation a summary and a unique camelCase operationId', () => {
    expect(operations.filter(([, operation]) => !operation.summary?.trim()).map(([name]) => name)).toEqual([]);
    const ids = operations.map(([, operation]) => operation.operationId);
    expect(ids.filter((id) => !/^[a-z][a-zA-Z0-9]*$/.test(String(id)))).toEqual([]);
    expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([]);
    expect(document.paths['/orders'].post.operationId).toBe('createOrder');
    expect(document.paths['/admin/failed-messages'].get.operationId).toBe('listFailedMessages');
  });

  it('names the server it is served from, and the x-request-id every operation takes and every answer carries', () => {
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(document.components.parameters.RequestId).toMatchObject({ name: 'x-request-id', in: 'header', required: false });
    const withoutId = operations.filter(([, operation]) => !(operation.parameters ?? []).some((parameter) => parameter.$ref === '#/components/parameters/RequestId'));
    expect(withoutId.map(([name]) => name)).toEqual([]);
    const answersWithoutId = operations.flatMap(([name, operation]) =>
      Object.entries(operation.responses).filter(([, response]) => !response.headers?.['x-request-id']).map(([status]) => `${name} ${status}`),
    );
    expect(answersWithoutId).toEqual([]);
  });

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

  it('is what `npm run api:types` builds without a database or a broker', async () => {
    // The script reads the modules in Nest's preview mode; the served document comes from the running platform.
    expect(JSON.parse(JSON.stringify(await servedDocument()))).toEqual(document);
  });

  it('gives the console the types committed in its api-schema.d.ts, generated from this document', async () => {
    const committed = await readFile(SCHEMA_FILE, 'utf8');
    const difference = firstDifference(await typesOf(document), committed);
    const file = relative(join(__dirname, '..'), SCHEMA_FILE);
    expect(difference === null ? 'up to date' : `${file} is not generated from the served document (${difference}): run npm run api:types`).toBe('up to date');
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
