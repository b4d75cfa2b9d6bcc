import { DomainException } from '../common/domain.exception';
import type { FailureDetail, RetryAdvice } from '../compensation/handlers/event-handler.decorator';

/** A delivery that did not reach the merchant; the compensation machinery schedules the next attempt. */
export class DeliveryFailedError extends Error implements RetryAdvice, FailureDetail {
  readonly name = 'DeliveryFailedError';
  readonly retryAfterMs?: number;
  readonly final?: boolean;

  /**
   * @param advice what the merchant's answer says of the next attempt: not before a while (429), or none (410, disabled).
   * @param endpoint the origin it failed against: its failure record is grouped by it.
   */
  constructor(
    message: string,
    advice: RetryAdvice = {},
    readonly endpoint?: string,
  ) {
    super(message);
    this.retryAfterMs = advice.retryAfterMs;
    this.final = advice.final;
  }
}

/** The endpoint is at its concurrency or rate limit: this notification waits its turn, and that is no attempt. */
export class EndpointBusyError extends Error implements RetryAdvice {
  readonly name = 'EndpointBusyError';
  readonly notYet = true;

  constructor(origin: string) {
    super(`endpoint ${origin} is at its concurrency or rate limit`);
  }
}

/**
 * Another attempt holds the notification's lease: it may still be sending, or its process
 * died and the lease has yet to run out. Waiting for that is no attempt of this delivery.
 */
export class NotificationLeasedError extends Error implements RetryAdvice {
  readonly name = 'NotificationLeasedError';
  readonly notYet = true;

  constructor(eventId: string) {
    super(`event ${eventId} is being delivered by another attempt`);
  }
}

export class NotifyException extends DomainException {
  static endpointNotFound(id: string) {
    return new NotifyException('not-found', 'ENDPOINT_NOT_FOUND', `endpoint ${id} does not exist`);
  }

  static badCursor() {
    return new NotifyException('invalid', 'BAD_CURSOR', 'cursor is not one this API returned');
  }

  static merchantNotFound(id: string) {
    return new NotifyException('not-found', 'MERCHANT_NOT_FOUND', `merchant ${id} is not registered`);
  }

  static noTestUrl(merchantId: string) {
    return new NotifyException('unprocessable', 'NO_TEST_URL', `url: none given, and merchant ${merchantId} has no order whose notifyUrl could be used`);
  }

  static urlRefused(reason: string) {
    return new NotifyException('unprocessable', 'URL_REFUSED', `url ${reason}`);
  }

  static notificationNotFound(eventId: string) {
    return new NotifyException('not-found', 'NOTIFICATION_NOT_FOUND', `notification ${eventId} does not exist`);
  }

  static notResendable(eventId: string, why: string) {
    return new NotifyException('conflict', 'NOT_RESENDABLE', `notification ${eventId} cannot be sent again now: ${why}`);
  }
}
