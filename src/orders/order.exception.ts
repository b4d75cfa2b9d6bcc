import { DomainException } from '../common/domain.exception';
import type { OrderStatus } from './order-state';

export class OrderException extends DomainException {
  static notFound(id: string) {
    return new OrderException('not-found', 'ORDER_NOT_FOUND', `order ${id} does not exist`);
  }

  static unknownSkus(skus: string[]) {
    return new OrderException('unprocessable', 'UNKNOWN_SKU', `unknown SKU: ${skus.join(', ')}`);
  }

  static totalTooLarge(total: bigint) {
    return new OrderException(
      'unprocessable',
      'TOTAL_TOO_LARGE',
      `the order total would be ${total} minor units, more than the ${Number.MAX_SAFE_INTEGER} an amount may be`,
    );
  }

  static idempotencyConflict() {
    return new OrderException(
      'unprocessable',
      'IDEMPOTENCY_KEY_REUSED',
      'this Idempotency-Key was already used with a different request body',
    );
  }

  static unknownMerchant(merchantId: string) {
    return new OrderException('unprocessable', 'UNKNOWN_MERCHANT', `unknown merchant: ${merchantId} is not registered, and there is no NOTIFY_SIGNING_SECRET to sign its notifications with`);
  }

  static notifyUrlOffOrigins(origins: string[]) {
    return new OrderException('unprocessable', 'NOTIFY_URL_NOT_ALLOWED', `notifyUrl must be on one of the merchant's origins: ${origins.join(', ')}`);
  }

  static refusedNotifyUrl(reason: string) {
    return new OrderException('unprocessable', 'NOTIFY_URL_REFUSED', `notifyUrl is refused: ${reason}`);
  }

  static wrongState(id: string, status: OrderStatus, action: string) {
    return new OrderException('conflict', 'ORDER_STATE', `order ${id} is ${status}; cannot ${action}`);
  }
}
