import { sincePlaced } from './deliveries.repository';

describe('sincePlaced', () => {
  const placedAt = new Date('2026-12-07T10:00:00Z');
  const hourBefore = new Date('2026-12-07T09:00:00Z');

  it('lists an order from an hour before it was placed, for a platform clock ahead of the database', () => {
    expect(sincePlaced({ orderId: 'o' }, placedAt)).toEqual({ orderId: 'o', from: hourBefore });
  });

  it('keeps a later from, and replaces an earlier one', () => {
    const later = new Date('2026-12-07T11:00:00Z');
    expect(sincePlaced({ orderId: 'o', from: later }, placedAt)).toEqual({ orderId: 'o', from: later });
    expect(sincePlaced({ orderId: 'o', from: new Date('2026-12-01T00:00:00Z'), to: later }, placedAt)).toEqual({ orderId: 'o', from: hourBefore, to: later });
  });

  it('leaves the filter as it is when the order is not known', () => {
    const filter = { orderId: 'o', delivered: false };
    expect(sincePlaced(filter, null)).toBe(filter);
  });
});
