/**
 * The ops API's answers as the console reads them, by the names the console and the end-to-end
 * tests use. Each is the server's own schema from the OpenAPI document (api-schema.d.ts, made by
 * `npm run api:types`), so a changed answer breaks the type-check here instead of the page.
 * No DOM here: the end-to-end tests read the same answers with these types.
 */
import type { components } from './api-schema';

type Schemas = components['schemas'];

/**
 * The document types the payload as any JSON object or, when it is not JSON (poison) or cut in a
 * list, its text. The console only prints it, but the end-to-end tests read into the envelope
 * (`row.payload?.data?.orderId` in test/support/failed-messages.ts), which the exact type refuses.
 */
type LoosePayload<T extends { payload: unknown }> = Omit<T, 'payload'> & { payload: any };
export type FailedMessage = LoosePayload<Schemas['FailedMessageView']>;
export type FailedMessageDetail = LoosePayload<Schemas['FailedMessageDetailView']>;
export type FailedMessagePage = Schemas['FailedMessagePage'];
export type FailedStatus = FailedMessage['status'];

export type Delivery = Schemas['DeliveryView'];
export type DeliveryPage = Schemas['DeliveryPage'];

export type Endpoint = Schemas['EndpointView'];
export type EndpointPage = Schemas['EndpointList'];
/** What PUT /admin/endpoints/:id takes; `concurrency` there is the ops cap (null: none). */
export type EndpointSettingsBody = Schemas['UpdateEndpointBody'];

/** How many were re-run (POST /admin/endpoints/:id/recover). */
export type CountAnswer = Schemas['CountAnswer'];

export type Summary = Schemas['SummaryAnswer'];
/** /health/ready's reading: its 200 answer says both are up, its 503 answer says which is not. */
export type Health = Schemas['PartsDown'];
export type OutboxRow = Schemas['OutboxRowView'];
export type OutboxList = Schemas['OutboxList'];
export type StatsBucket = Schemas['StatsBucket'];
export type Stats = Schemas['StatsView'];

export type Merchant = Schemas['MerchantView'];
export type MerchantPage = Schemas['MerchantPage'];
export type MerchantEvent = Merchant['events'][number];
export type OpsAction = Schemas['OpsActionView'];
export type MerchantDetail = Schemas['MerchantDetailView'];
/** The only answers that carry a secret: create's and rotate's. */
export type CreatedMerchant = Schemas['CreatedMerchantView'];
export type RotatedSecret = Schemas['RotatedSecretAnswer'];

export type TimelineEntry = Schemas['TimelineEntryView'];
export type TimelineKind = TimelineEntry['kind'];
/** GET /admin/orders/:id/timeline. */
export type OrderTimeline = Schemas['OrderTimelineView'];

/** How a request sent by hand (a test event, a resend) went. */
export type ManualSend = Schemas['ManualSendView'];
