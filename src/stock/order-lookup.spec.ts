import { sameItems } from './order-lookup';

describe('sameItems', () => {
  it('matches the same SKUs in the same quantities in any order', () => {
    expect(sameItems([{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 2 }], [{ sku: 'B', quantity: 2 }, { sku: 'A', quantity: 1 }])).toBe(true);
  });

  it('tells a different quantity, a missing or an extra SKU', () => {
    expect(sameItems([{ sku: 'A', quantity: 1 }], [{ sku: 'A', quantity: 2 }])).toBe(false);
    expect(sameItems([{ sku: 'A', quantity: 1 }], [{ sku: 'B', quantity: 1 }])).toBe(false);
    expect(sameItems([{ sku: 'A', quantity: 1 }], [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }])).toBe(false);
  });
});
