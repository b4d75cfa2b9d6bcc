import { registerDecorator, ValidationOptions } from 'class-validator';
import { isCleanText } from '../common/clean-text.validator';

/**
 * Why `value` is not an http(s) origin (`scheme://host[:port]`, as `new URL(x).origin` writes
 * it), or undefined when it is one. A trailing `/` is taken; a path, a query, a fragment or
 * credentials are not: an origin list that looks narrower than it is would mislead.
 */
export function originProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'is not a string';
  if (value.length > 2048 || !isCleanText(value)) return 'is not an origin';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'is not http:// or https://';
  if (url.username || url.password) return 'has credentials';
  if (url.pathname !== '/' || url.search || url.hash || /[?#]/.test(value)) return `has a path, query or fragment; give the origin alone, ${url.origin}`;
  return undefined;
}

/** An array of http(s) origins; the message names the first entry that is not one, and why. */
export function IsHttpOrigins(options?: ValidationOptions) {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'isHttpOrigins',
      target: target.constructor,
      propertyName: property,
      options: {
        message: ({ value }) => {
          const entries: unknown[] = Array.isArray(value) ? value : [];
          const bad = entries.find((entry) => originProblem(entry) !== undefined);
          return `${property} must be http(s) origins such as https://shop.example or http://shop.example:8080: ${JSON.stringify(bad)} ${originProblem(bad)}`;
        },
        ...options,
      },
      validator: {
        validate: (value: unknown) => !Array.isArray(value) || value.every((entry) => originProblem(entry) === undefined),
      },
    });
}
