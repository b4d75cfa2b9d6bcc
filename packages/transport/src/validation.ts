import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

/** A message off the broker that is not what it claims to be; it must never be retried. */
export class InvalidMessageError extends Error {
  readonly name: string = 'InvalidMessageError';
}

/** Parses a body that must be one JSON object. */
export function parseObject(content: Buffer | string | object, Invalid: new (message: string) => Error): object {
  let body: unknown = content;
  if (Buffer.isBuffer(content) || typeof content === 'string') {
    try {
      body = JSON.parse(content.toString());
    } catch {
      throw new Invalid('the body is not JSON');
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Invalid('the body is not a JSON object');
  return body;
}

/** The instance of `shape` made from `plain`, or an `Invalid` that names every bad field, nested ones by path. */
export function validShape<T extends object>(shape: new () => T, plain: unknown, Invalid: new (message: string) => Error, prefix: string): T {
  const instance = plainToInstance(shape, plain);
  const errors = validateSync(instance);
  if (errors.length > 0) throw new Invalid(`${prefix}: ${describe(errors)}`);
  return instance;
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
