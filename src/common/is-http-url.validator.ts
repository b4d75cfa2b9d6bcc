import { registerDecorator, ValidationOptions } from 'class-validator';

/**
 * An absolute http(s) URL as a WHATWG URL parser reads it — the same parser the
 * delivery uses — so what is validated is exactly what will be called.
 */
export function IsHttpUrl(options?: ValidationOptions) {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'isHttpUrl',
      target: target.constructor,
      propertyName: property,
      options: { message: `${property} must be an absolute http:// or https:// URL`, ...options },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'string' || value.length > 2048) return false;
          try {
            const url = new URL(value);
            return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && !url.username && !url.password;
          } catch {
            return false;
          }
        },
      },
    });
}
