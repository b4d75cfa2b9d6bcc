import { canTransition, ORDER_STATUSES, OrderStatus } from './order-state';

describe('order state machine', () => {
  const allowed: [OrderStatus, OrderStatus][] = [
    ['PENDING', 'CONFIRMED'],
    ['PENDING', 'REJECTED'],
    ['CONFIRMED', 'PAID'],
    ['CONFIRMED', 'CANCELLED'],
  ];

  it.each(allowed)('allows %s → %s', (from, to) => expect(canTransition(from, to)).toBe(true));

  it('refuses every other move', () => {
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) {
        const isAllowed = allowed.some(([a, b]) => a === from && b === to);
        expect([from, to, canTransition(from, to)]).toEqual([from, to, isAllowed]);
      }
    }
  });
});
