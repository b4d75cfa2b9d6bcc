import { DomainException } from '../common/domain.exception';

export class PaymentException extends DomainException {
  static badSignature() {
    return new PaymentException('unauthorized', 'BAD_SIGNATURE', 'X-Signature does not match the body');
  }

  static amountMismatch(expected: number, received: number) {
    return new PaymentException('invalid', 'AMOUNT_MISMATCH', `amount ${received} differs from the order's total ${expected}`);
  }
}
