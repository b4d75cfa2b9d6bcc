import { DomainException } from '../common/domain.exception';

export class MerchantException extends DomainException {
  static notFound(id: string) {
    return new MerchantException('not-found', 'MERCHANT_NOT_FOUND', `merchant ${JSON.stringify(id)} is not registered`);
  }

  static exists(id: string) {
    return new MerchantException('conflict', 'MERCHANT_EXISTS', `merchant ${JSON.stringify(id)} is already registered`);
  }

  static badCursor() {
    return new MerchantException('invalid', 'BAD_CURSOR', 'cursor is not one this API handed out');
  }
}
