import type { EventEnvelope } from './event-map';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// For a body that does not parse (cut short, or poison): read from the text.
const ORDER_ID_TEXT = /"orderId"\s*:\s*"([0-9a-f-]{36})"/i;
const CREATED_ORDER_ID_TEXT = /"type"\s*:\s*"order\.created"[\s\S]*?"data"\s*:\s*\{\s*"id"\s*:\s*"([0-9a-f-]{36})"/i;

/**
 * The order an event is about: `data.orderId` (`data.id` of an `order.created` written before
 * it carried `orderId`). Takes a read envelope, or anything off the broker or out of a failure
 * record — a body as bytes or text (also one cut short, read from the text), a parsed body, or
 * the `data` of an event — and gives null when it names no order.
 */
export function orderIdOf(envelope: EventEnvelope): string;
export function orderIdOf(source: unknown): string | null;
export function orderIdOf(source: unknown): string | null {
  if (Buffer.isBuffer(source) || typeof source === 'string') {
    const text = source.toString();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return (ORDER_ID_TEXT.exec(text) ?? CREATED_ORDER_ID_TEXT.exec(text))?.[1] ?? null;
    }
    return orderIdOf(parsed);
  }
  if (!isObject(source)) return null;
  // An envelope carries its payload in `data`; anything else is taken for a payload itself.
  const data = isObject(source.data) ? source.data : source;
  if (isUuid(data.orderId)) return data.orderId;
  return source.type === 'order.created' && isUuid(data.id) ? data.id : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
