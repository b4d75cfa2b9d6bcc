import { randomUUID } from 'node:crypto';
import { InvalidMessageError, parseObject, validShape } from '../validation';
import { EnvelopeShape, EVENT_PAYLOADS, EventEnvelope, EventMap, RoutingKey } from './event-map';

export function createEnvelope<K extends RoutingKey>(type: K, data: EventMap[K]): EventEnvelope<K> {
  return { id: randomUUID(), type, occurredAt: new Date().toISOString(), data };
}

export class InvalidEnvelopeError extends InvalidMessageError {
  readonly name = 'InvalidEnvelopeError';
}

/**
 * Reads a message off the broker: parses JSON, checks the envelope and the payload of
 * its routing key. Anything that fails is poison and must not be retried.
 */
export function readEnvelope(content: Buffer | string | object): EventEnvelope {
  const body = parseObject(content, InvalidEnvelopeError);
  const shape = validShape(EnvelopeShape, body, InvalidEnvelopeError, 'envelope');
  const payloadClass: new () => object = EVENT_PAYLOADS[shape.type];
  validShape(payloadClass, shape.data, InvalidEnvelopeError, `${shape.type} data`);
  return body as EventEnvelope;
}
