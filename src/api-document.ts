import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, OperationObject, PathItemObject, ResponseObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorBody } from './common/api-responses';
import { withJsonSchemaNulls } from './common/openapi-31';
import { REQUEST_ID_HEADER, REQUEST_ID_MAX_LENGTH } from './common/request-id';
import { MerchantNotification } from './notify/merchant-notification.schema';

const header = (description: string, example?: string) => ({ required: true, description, schema: { type: 'string', ...(example ? { example } : {}) } });

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

/**
 * An operation that names none in its `@ApiOperation` is named after its method and controller,
 * `listFailureGroups` for FailureGroupsController.list: camelCase and unique, unlike Nest's
 * default `FailureGroupsController_list`, which generated clients turn into method names.
 */
const operationIdOf = (controllerKey: string, methodKey: string) => `${methodKey}${controllerKey.replace(/Controller$/, '')}`;

/**
 * The OpenAPI 3.1 document served at /docs: every operation, and the notification merchants
 * receive as a webhook. @nestjs/swagger writes schemas in OpenAPI 3.0's dialect whatever version
 * it is told (`nullable: true`), so the document is rewritten into 3.1's JSON Schema after.
 */
export function apiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setOpenAPIVersion('3.1.0')
      .setTitle('backstop')
      .setDescription(
        'Orders, reliable order events and merchant payment notifications. Ops operations take `Authorization: Bearer $ADMIN_TOKEN`. ' +
          'Every answer carries `x-request-id`: the one sent (printable ASCII, at most 128 characters) or a new UUID; the log lines of the request carry it too. ' +
          'Merchants: see the `orderNotification` webhook and docs/merchant-integration.md.',
      )
      // Relative: the platform is reached under whatever host and scheme the proxy in front gives it.
      .addServer('/', 'this platform, where this document is served')
      // An opaque shared token, not a JWT: Nest's addBearerAuth() would claim bearerFormat JWT.
      .addSecurity('bearer', { type: 'http', scheme: 'bearer', description: 'the ADMIN_TOKEN (or one of its name:token entries)' })
      .addSecurity('metrics', { type: 'http', scheme: 'bearer', description: 'the METRICS_TOKEN, when it is set' })
      .build(),
    { extraModels: [MerchantNotification, ErrorBody], operationIdFactory: operationIdOf },
  );
  return withJsonSchemaNulls(withRequestIds({ ...document, webhooks: { orderNotification: merchantWebhook() } } as OpenAPIObject));
}

/** Every operation may be sent an `x-request-id`, and every answer carries one, errors too. */
function withRequestIds(document: OpenAPIObject): OpenAPIObject {
  const components = {
    ...document.components,
    parameters: {
      ...document.components?.parameters,
      RequestId: {
        name: REQUEST_ID_HEADER,
        in: 'header' as const,
        required: false,
        description: `an id for this request, echoed in the answer and written in its log lines; printable ASCII, at most ${REQUEST_ID_MAX_LENGTH} characters (otherwise a new one is made)`,
        schema: { type: 'string' as const, maxLength: REQUEST_ID_MAX_LENGTH },
      },
    },
    headers: {
      ...document.components?.headers,
      RequestId: { description: 'the request id sent, or the one made for this request (a UUID)', schema: { type: 'string' as const } },
    },
  };
  const withId = (operation: OperationObject): OperationObject => ({
    ...operation,
    parameters: [...(operation.parameters ?? []), { $ref: '#/components/parameters/RequestId' }],
    // Every response here is written inline (none is a $ref).
    responses: Object.fromEntries(Object.entries(operation.responses).map(([status, response]) => [status, withIdHeader(response as ResponseObject)])),
  });
  const withIdHeader = (response: ResponseObject): ResponseObject => ({
    ...response,
    headers: { ...response.headers, [REQUEST_ID_HEADER]: { $ref: '#/components/headers/RequestId' } },
  });
  const paths = Object.fromEntries(
    Object.entries(document.paths).map(([path, item]): [string, PathItemObject] => [
      path,
      Object.fromEntries(Object.entries(item).map(([key, value]) => [key, (METHODS as readonly string[]).includes(key) ? withId(value as OperationObject) : value])),
    ]),
  );
  return { ...document, components, paths };
}

function merchantWebhook() {
  return {
    post: {
      summary: "An order's outcome, POSTed to its notifyUrl until the merchant answers `success`",
      description:
        'Signed per Standard Webhooks. Sent on the stepped schedule of NOTIFY_RETRY_SCHEDULE (at once, then after 3s, 30s, 60s, 120s, 180s, 300s by default), ' +
        'then swept for about 24 h, with the same webhook-id every time: deduplicate on it.',
      parameters: [
        { name: 'webhook-id', in: 'header', ...header('the event id, the same on every attempt for one event') },
        { name: 'webhook-timestamp', in: 'header', ...header('unix seconds when this attempt was signed', '1795315200') },
        { name: 'webhook-signature', in: 'header', ...header('v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>, key = the decoded NOTIFY_SIGNING_SECRET') },
      ],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/MerchantNotification' } } } },
      responses: {
        '200': {
          description: 'delivered: a 2xx whose trimmed body is `success` (any 2xx when the endpoint\'s success rule is 2xx)',
          content: { 'text/plain': { schema: { type: 'string', enum: ['success'] } } },
        },
        '410': { description: 'the endpoint is gone: it is disabled at once and sent nothing more until ops enable it' },
        '429': { description: 'slow down: the next attempt waits at least Retry-After (seconds or an HTTP date)' },
      },
    },
  };
}
