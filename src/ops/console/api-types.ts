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
  eventId: string;
  orderId: string;
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
