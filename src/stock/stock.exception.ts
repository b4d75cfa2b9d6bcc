import { DomainException } from '../common/domain.exception';

export class StockException extends DomainException {
  static unknownSku(sku: string) {
    return new StockException('not-found', 'UNKNOWN_SKU', `unknown SKU "${sku}"`);
  }
}
