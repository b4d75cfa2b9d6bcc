import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { isISO8601, isUUID } from 'class-validator';
import { v7 as uuidv7 } from 'uuid';
import { InvalidMessageError, parseObject } from '../validation';
import { ENVELOPE_SCHEMA, EVENT_SCHEMAS, EventEnvelope, EventMap, RoutingKey } from './event-map';

/**
 * An event's id is time-ordered (UUIDv7): consumers key what they keep by it (a
 * notification, a handler's processed marker), so each new key lands at the right-hand edge
 * of those indexes. A random one lands on a random page of an index of millions, and the
 * first change to a page after each checkpoint writes the whole page to the WAL.
 */
export function createEnvelope<K extends RoutingKey>(type: K, data: EventMap[K]): EventEnvelope<K> {
  return { id: uuidv7(), type, occurredAt: new Date().toISOString(), data };
}

export class InvalidEnvelopeError extends InvalidMessageError {
  readonly name = 'InvalidEnvelopeError';
}

/**
 * Every consumed message is checked, several times per order, so the schemas are compiled
 * once into plain functions (ajv) rather than interpreted per message. The formats keep
 * class-validator's meaning of a UUID and an ISO 8601 instant, as the HTTP edge has them.
 */
const ajv = new Ajv({ allErrors: true, formats: { uuid: (value: string) => isUUID(value), iso8601: (value: string) => isISO8601(value) } });
const validEnvelope = ajv.compile<EventEnvelope>(ENVELOPE_SCHEMA);
const validData = Object.fromEntries(Object.entries(EVENT_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)])) as Record<RoutingKey, ValidateFunction>;

/**
 * Reads a message off the broker: parses JSON, checks the envelope and the payload of
 * its routing key. Anything that fails is poison and must not be retried.
 */
export function readEnvelope(content: Buffer | string | object): EventEnvelope {
  const body = parseObject(content, InvalidEnvelopeError);
  if (!validEnvelope(body)) throw new InvalidEnvelopeError(`envelope: ${describe(validEnvelope.errors!)}`);
  if (body.type === 'order.created') withOrderId(body.data as unknown as Record<string, unknown>);
  const validPayload = validData[body.type];
  if (!validPayload(body.data)) throw new InvalidEnvelopeError(`${body.type} data: ${describe(validPayload.errors!)}`);
  return body;
}

/**
 * An `order.created` written before it carried `orderId` (still in an outbox, a queue or a
 * failure record when a newer consumer reads it) gets it from `id`, so every reader can rely on
 * `orderId`. One that names two different orders is not what it claims to be.
 */
function withOrderId(data: Record<string, unknown>): void {
  if (data.orderId === undefined) data.orderId = data.id;
  else if (data.orderId !== data.id) throw new InvalidEnvelopeError('order.created data: orderId: must equal id');
}

/** Every bad field by its dotted path (`items.0.quantity: must be >= 1`). */
function describe(errors: ErrorObject[]): string {
  return errors
    .map((error) => {
      const missing = error.keyword === 'required' ? (error.params as { missingProperty: string }).missingProperty : undefined;
      const path = [...error.instancePath.split('/').slice(1), ...(missing ? [missing] : [])].join('.');
      const message = missing
        ? 'is required'
        : error.keyword === 'enum'
          ? `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
          : error.keyword === 'format'
            ? `must be ${(error.params as { format: string }).format === 'uuid' ? 'a UUID' : 'an ISO 8601 date and time'}`
            : error.message;
      return `${path || '(body)'}: ${message}`;
    })
    .join('; ');
}
