import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorBody } from './common/api-responses';
import { MerchantNotification } from './notify/merchant-notification.schema';

const header = (description: string, example?: string) => ({ required: true, description, schema: { type: 'string', ...(example ? { example } : {}) } });

/** The OpenAPI 3.1 document served at /docs: every operation, and the notification merchants receive as a webhook. */
export function apiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setOpenAPIVersion('3.1.0')
      .setTitle('backstop')
      .setDescription(
        'Orders, reliable order events and merchant payment notifications. Ops operations take `Authorization: Bearer $ADMIN_TOKEN`. ' +
          'Merchants: see the `orderNotification` webhook and docs/merchant-integration.md.',
      )
      // An opaque shared token, not a JWT: Nest's addBearerAuth() would claim bearerFormat JWT.
      .addSecurity('bearer', { type: 'http', scheme: 'bearer', description: 'the ADMIN_TOKEN (or one of its name:token entries)' })
      .addSecurity('metrics', { type: 'http', scheme: 'bearer', description: 'the METRICS_TOKEN, when it is set' })
      .build(),
    { extraModels: [MerchantNotification, ErrorBody] },
  );
  return { ...document, webhooks: { orderNotification: merchantWebhook() } } as OpenAPIObject;
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
