import { ValidationPipe } from '@nestjs/common';
import { validateSync, type ValidationError, type ValidatorOptions } from 'class-validator';

/**
 * Nest's ValidationPipe with class-validator's synchronous run. Every rule of this platform
 * is synchronous (its own decorators included), and the asynchronous run wraps each rule of
 * each field in a promise: on the bodies of the order path, a measurable share of a request.
 * An asynchronous rule added later would be skipped by `validateSync`, so none may be.
 */
export class SyncValidationPipe extends ValidationPipe {
  protected validate(object: object, options?: ValidatorOptions): ValidationError[] {
    return validateSync(object, options);
  }
}
