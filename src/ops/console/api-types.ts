/**
 * The ops API's answers as the console reads them. No DOM here: the end-to-end tests read
 * the same answers with these types.
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type FailedStatus = 'FAILED' | 'RETRYING' | 'RESOLVED' | 'DISCARDED';

export interface FailedMessage {
  id: string;
  handler: string;
  queue: string;
  messageId: string;
  routingKey: string | null;
  orderId: string | null;
  /** The envelope as JSON, or its text when it is not JSON (poison) or cut in a list. */
  payload: any;
  payloadTruncated: boolean;
  headers: Record<string, unknown>;
  error: string;
  attempts: number;
  status: FailedStatus;
  poison: boolean;
  sweepCount: number;
  firstFailedAt: string;
  lastFailedAt: string;
  nextSweepAt: string | null;
  resolvedAt: string | null;
  discardReason: string | null;
}

export interface FailedMessageDetail extends FailedMessage {
  errors: { attempt: number; at: string; error: string }[];
  actions: { action: string; actor: string; reason: string | null; at: string }[];
}

export interface Delivery {
  id: number;
  /** The webhook-id the merchant was sent. */
  eventId: string;
  /** Null for a merchant's test event (`ping`), which belongs to no order. */
  orderId: string | null;
  attempt: number;
  attemptedAt: string;
  url: string;
  endpoint: string | null;
  httpStatus: number | null;
  durationMs: number | null;
  delivered: boolean | null;
  error: string | null;
  responseSnippet: string | null;
}

export interface Endpoint {
  id: string;
  origin: string;
  state: 'ACTIVE' | 'OPEN' | 'HALF_OPEN' | 'DISABLED';
  disabledReason?: string | null;
  concurrency: number;
  concurrencyIsDefault: boolean;
  /** Absent: no limit. */
  rateLimit?: number | null;
  inFlight: number;
  successRule: 'body' | '2xx';
  attemptsLastHour: number;
  failuresLastHour: number;
  lastSuccessAt?: string | null;
  lastFailureAt?: string | null;
  lastError?: string | null;
}

export interface Summary {
  failedMessages: Record<FailedStatus, number>;
  outbox: { ready: number; prepare: number; stuck: number; oldestAgeSeconds: number | null };
  paymentIncidents: number;
}

export interface Health {
  database: 'up' | 'down';
  broker: 'up' | 'down';
}

export interface OutboxRow {
  state: string;
  routingKey?: string | null;
  kind?: string;
  checkBackId?: string | null;
  createdAt: string;
  attempts: number;
  lastError: string | null;
  stuck?: boolean;
}

export interface StatsBucket {
  at: string;
  deliveries: { delivered: number; failed: number; unknown: number };
  handlerRuns: { done: number; failed: number };
}

export type MerchantEvent = 'order.paid' | 'order.rejected' | 'order.cancelled';

export interface Merchant {
  id: string;
  name: string;
  /** Null: its orders may name any notifyUrl. */
  notifyOrigins: string[] | null;
  events: MerchantEvent[];
  /** Null: the platform's default. */
  successRule: 'body' | '2xx' | null;
  secretRotatedAt: string | null;
  /** Until when the previous secret signs too; in the past, it no longer does. */
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface OpsAction {
  action: string;
  actor: string;
  at: string;
  detail: Record<string, unknown> | null;
}

export interface MerchantDetail extends Merchant {
  actions: OpsAction[];
}

/** The only answers that carry a secret: create's and rotate's. */
export interface CreatedMerchant extends Merchant {
  secret: string;
}

export interface RotatedSecret {
  secret: string;
  previousSecretExpiresAt: string;
}

/** How a request sent by hand (a test event, a resend) went. */
export interface ManualSend {
  deliveryId: number;
  webhookId: string;
  url: string;
  delivered: boolean;
  status: number | null;
  durationMs: number;
  snippet: string | null;
  error: string | null;
}
