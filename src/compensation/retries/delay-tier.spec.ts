import { delayTierAtLeast } from './delay-tier';

describe('delayTierAtLeast', () => {
  const schedule = [3_000, 30_000, 60_000, 120_000, 180_000, 300_000];

  it('keeps the scheduled delay when the wish is shorter', () => {
    expect(delayTierAtLeast(schedule, 30_000, 5_000)).toBe(30_000);
  });

  it('takes the first tier at or past the wish', () => {
    expect(delayTierAtLeast(schedule, 3_000, 45_000)).toBe(60_000);
    expect(delayTierAtLeast(schedule, 3_000, 60_000)).toBe(60_000);
  });

  it('stops at the longest tier', () => {
    expect(delayTierAtLeast(schedule, 3_000, 3_600_000)).toBe(300_000);
  });
});
