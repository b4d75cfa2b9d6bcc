import { registerDecorator, ValidationOptions } from 'class-validator';

// C0 and C1 controls, U+0000–U+001F and U+0080–U+009F (PostgreSQL refuses NUL in text; the rest
// have no place in our fields, and C1 is what latin-1 or mis-decoded bytes turn into), and a
// surrogate without its partner (jsonb refuses the `\ud800` escape JSON.stringify writes for it).
const UNCLEAN = /[\u0000-\u001F\u0080-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const CLEAN_TEXT_RULE = 'must not contain control characters (U+0000–U+001F, U+0080–U+009F) or unpaired surrogates';

/** Whether a string can be stored as it is: no control characters, no unpaired surrogates. */
export function isCleanText(value: string): boolean {
  return !UNCLEAN.test(value);
}

/**
 * Text that PostgreSQL stores as given, in a text column or inside jsonb (docs/http-api.md); put it
 * on every text field that reaches the database. Other rules (length, pattern) stay separate.
 */
export function IsCleanText(options?: ValidationOptions) {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'isCleanText',
      target: target.constructor,
      propertyName: property,
      options: { message: `$property ${CLEAN_TEXT_RULE}`, ...options },
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || isCleanText(value),
      },
    });
}
