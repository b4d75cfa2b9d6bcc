import { DomainException } from '../common/domain.exception';

export class PaymentException extends DomainException {
  static badSignature() {
    return new PaymentException('unauthorized', 'BAD_SIGNATURE', 'X-Signature does not match the body');
  }

  static paidTooLate(orderId: string, status: string, tradeNo: string) {
    return new PaymentException(
      'conflict',
      'PAID_AFTER_CLOSE',
      `order ${orderId} became ${status} while it was being charged; payment ${tradeNo} is recorded as a payment incident for refund`,
    );
  }

  static amountMismatch(expected: number, received: number) {
    return new PaymentException('invalid', 'AMOUNT_MISMATCH', `amount ${received} differs from the order's total ${expected}`);
  }
}
