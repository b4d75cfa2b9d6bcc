import { backoffMs } from './backoff';

describe('backoffMs', () => {
  it('starts at the base, doubles with each failure in a row, and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((failures) => backoffMs(failures, 500, 60_000))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000,
    ]);
    expect(backoffMs(1_000, 500, 60_000)).toBe(60_000);
    expect(backoffMs(0, 500, 60_000)).toBe(500);
  });
});
