import { registerDecorator, ValidationOptions } from 'class-validator';

/**
 * An amount of money in minor units that a JavaScript number holds exactly: a safe
 * integer, 0 or more. `@IsInt()` alone lets 2^53 or 1e300 through, which no longer
 * compare exactly with what PostgreSQL's bigint holds.
 */
export function IsMinorUnits(options?: ValidationOptions) {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'isMinorUnits',
      target: target.constructor,
      propertyName: property,
      options: { message: `$property must be a whole number of minor units from 0 to ${Number.MAX_SAFE_INTEGER}`, ...options },
      validator: {
        validate: (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0,
      },
    });
}
