import type { RetryAfter } from '../compensation/handlers/event-handler.decorator';

/** A delivery that did not reach the merchant; the compensation machinery schedules the next attempt. */
export class DeliveryFailedError extends Error implements RetryAfter {
  readonly name = 'DeliveryFailedError';

  /** @param retryAfterMs the merchant asked for the next attempt no sooner than this (429 with Retry-After). */
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
