import { randomUUID } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { EnvelopeShape, EVENT_PAYLOADS, EventEnvelope, EventMap, RoutingKey } from './event-map';

export function createEnvelope<K extends RoutingKey>(type: K, data: EventMap[K]): EventEnvelope<K> {
  return { id: randomUUID(), type, occurredAt: new Date().toISOString(), data };
}

export class InvalidEnvelopeError extends Error {
  readonly name = 'InvalidEnvelopeError';
}

/**
 * Reads a message off the broker: parses JSON, checks the envelope and the payload of
 * its routing key. Anything that fails is poison and must not be retried.
 */
export function readEnvelope(content: Buffer | string | object): EventEnvelope {
  let body: unknown = content;
  if (Buffer.isBuffer(content) || typeof content === 'string') {
    try {
      body = JSON.parse(content.toString());
    } catch {
      throw new InvalidEnvelopeError('the body is not JSON');
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidEnvelopeError('the body is not a JSON object');
  }
  const shape = plainToInstance(EnvelopeShape, body);
  const envelopeErrors = validateSync(shape);
  if (envelopeErrors.length > 0) throw new InvalidEnvelopeError(`envelope: ${describe(envelopeErrors)}`);
  const payloadClass: new () => object = EVENT_PAYLOADS[shape.type];
  const payloadErrors = validateSync(plainToInstance(payloadClass, shape.data));
  if (payloadErrors.length > 0) throw new InvalidEnvelopeError(`${shape.type} data: ${describe(payloadErrors)}`);
  return body as EventEnvelope;
}

function describe(errors: ValidationError[], prefix = ''): string {
  return errors
    .flatMap((error) => {
      const path = `${prefix}${error.property}`;
      const own = Object.values(error.constraints ?? {}).map((text) => `${path}: ${text}`);
      return [...own, describe(error.children ?? [], `${path}.`)].filter(Boolean);
    })
    .join('; ');
}
