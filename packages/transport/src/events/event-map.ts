import type { JSONSchemaType } from 'ajv';

/**
 * The one map from routing key to payload of `order.events`. The publisher, the outbox and every
 * handler are typed against these interfaces, and each has a JSON schema that ajv's
 * `JSONSchemaType` checks against it at build time, so a renamed field fails both the
 * build and a stale message. Extra fields are allowed: a newer producer may add some.
 */
export interface EventItem {
  sku: string;
  quantity: number;
  unitPrice?: number;
}

export interface OrderCreatedData {
  /** The order's id: what every other event calls `orderId`. Kept for consumers written before `orderId`. */
  id: string;
  /** The order's id, named as in every other event: the one to read. */
  orderId: string;
  merchantId: string;
  status: string;
  items: EventItem[];
  totalAmount: number;
  currency: string;
  notifyUrl: string;
  createdAt: string;
}

export interface StockResultData {
  orderId: string;
  items: EventItem[];
  reason?: string;
}

export interface OrderConfirmedData {
  orderId: string;
}

export interface OrderRejectedData {
  orderId: string;
  reason?: string;
}

export interface OrderPaidData {
  orderId: string;
  tradeNo: string;
  amount: number;
  currency: string;
  paidAt: string;
}

export interface OrderCancelledData {
  orderId: string;
  reason: string;
}

/**
 * An ops alert to send to OPS_WEBHOOK_URL: one per change of state (an endpoint disabled, a
 * failure spike begun, the outbox stalled), raised once by the alerts module.
 */
export interface OpsAlertData {
  /** The alert's id: its `webhook-id`, the same on every attempt. */
  alertId: string;
  /** What changed: `endpoint.disabled`, `failures.spike`, `outbox.stalled`, … */
  kind: string;
  raisedAt: string;
  /** What the alert says, as the webhook's `data`. */
  details: Record<string, unknown>;
}

export interface EventMap {
  'order.created': OrderCreatedData;
  'stock.reserved': StockResultData;
  'stock.rejected': StockResultData;
  'order.confirmed': OrderConfirmedData;
  'order.rejected': OrderRejectedData;
  'order.paid': OrderPaidData;
  'order.cancelled': OrderCancelledData;
  'ops.alert': OpsAlertData;
}

export type RoutingKey = keyof EventMap;

const uuid = { type: 'string', format: 'uuid' } as const;
const text = { type: 'string' } as const;
const instant = { type: 'string', format: 'iso8601' } as const;
const integer = { type: 'integer' } as const;

const item: JSONSchemaType<EventItem> = {
  type: 'object',
  properties: { sku: text, quantity: { type: 'integer', minimum: 1 }, unitPrice: { type: 'integer', minimum: 0, nullable: true } },
  required: ['sku', 'quantity'],
};
const items = { type: 'array', items: item } as const;

const stockResult: JSONSchemaType<StockResultData> = {
  type: 'object',
  properties: { orderId: uuid, items, reason: { ...text, nullable: true } },
  required: ['orderId', 'items'],
};

export const EVENT_SCHEMAS: { [K in RoutingKey]: JSONSchemaType<EventMap[K]> } = {
  'order.created': {
    type: 'object',
    properties: { id: uuid, orderId: uuid, merchantId: text, status: text, items, totalAmount: integer, currency: text, notifyUrl: text, createdAt: instant },
    required: ['id', 'orderId', 'merchantId', 'status', 'items', 'totalAmount', 'currency', 'notifyUrl', 'createdAt'],
  },
  'stock.reserved': stockResult,
  'stock.rejected': stockResult,
  'order.confirmed': { type: 'object', properties: { orderId: uuid }, required: ['orderId'] },
  'order.rejected': { type: 'object', properties: { orderId: uuid, reason: { ...text, nullable: true } }, required: ['orderId'] },
  'order.paid': {
    type: 'object',
    properties: { orderId: uuid, tradeNo: text, amount: integer, currency: text, paidAt: instant },
    required: ['orderId', 'tradeNo', 'amount', 'currency', 'paidAt'],
  },
  'order.cancelled': { type: 'object', properties: { orderId: uuid, reason: text }, required: ['orderId', 'reason'] },
  'ops.alert': {
    type: 'object',
    properties: { alertId: uuid, kind: text, raisedAt: instant, details: { type: 'object', required: [] } },
    required: ['alertId', 'kind', 'raisedAt', 'details'],
  },
};

export const ROUTING_KEYS = Object.keys(EVENT_SCHEMAS) as RoutingKey[];

export interface EventEnvelope<K extends RoutingKey = RoutingKey> {
  id: string;
  type: K;
  occurredAt: string;
  data: EventMap[K];
}

/** Distributes over a union, so a handler of several keys gets a discriminated union. */
export type EventOf<K extends RoutingKey> = K extends RoutingKey ? EventEnvelope<K> : never;

type Words<S extends string> = S extends `${infer Head}.${infer Tail}` ? [Head, ...Words<Tail>] : [S];

/** Whether a topic pattern's words match a routing key's, as the broker matches them: `*` is one word, `#` none or more. */
type MatchesWords<Pattern extends string[], Key extends string[]> = Pattern extends [infer Head extends string, ...infer Rest extends string[]]
  ? Head extends '#'
    ? MatchesWords<Rest, Key> extends true
      ? true
      : Key extends [string, ...infer KeyRest extends string[]]
        ? MatchesWords<Pattern, KeyRest>
        : false
    : Key extends [infer Word extends string, ...infer KeyRest extends string[]]
      ? Head extends '*' | Word
        ? MatchesWords<Rest, KeyRest>
        : false
      : false
  : Key extends []
    ? true
    : false;

/** The routing keys a topic pattern matches: `KeysMatching<'stock.*'>` is `'stock.reserved' | 'stock.rejected'`. */
export type KeysMatching<Pattern extends string> = { [K in RoutingKey]: MatchesWords<Words<Pattern>, Words<K>> extends true ? K : never }[RoutingKey];

/**
 * The events a handler of `@EventPattern(pattern)` receives, as a union discriminated by
 * `type`: `EventMatching<'stock.*'>` is `EventOf<'stock.reserved' | 'stock.rejected'>`.
 */
export type EventMatching<Pattern extends string> = EventOf<KeysMatching<Pattern>>;

/** The envelope every event travels in; `data` is checked against the schema of its `type`. */
export const ENVELOPE_SCHEMA = {
  type: 'object',
  properties: { id: uuid, type: { type: 'string', enum: ROUTING_KEYS }, occurredAt: instant, data: { type: 'object' } },
  required: ['id', 'type', 'occurredAt', 'data'],
} as const;
