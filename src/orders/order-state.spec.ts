import { canTransition, ORDER_STATUSES, OrderStatus, statusesThatCanBecome } from './order-state';

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

describe('statusesThatCanBecome', () => {
  it('names every state the machine moves from into the given one', () => {
    expect(statusesThatCanBecome('CONFIRMED')).toEqual(['PENDING']);
    expect(statusesThatCanBecome('PAID')).toEqual(['CONFIRMED']);
    expect(statusesThatCanBecome('CANCELLED')).toEqual(['CONFIRMED']);
    expect(statusesThatCanBecome('PENDING')).toEqual([]);
  });
});
