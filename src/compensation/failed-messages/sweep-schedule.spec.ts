import { describeError } from '@backstop/transport';
import { nextSweepAt } from './sweep-schedule';

describe('sweep schedule', () => {
  const schedule = [600_000, 3_600_000, 7_200_000];
  const failedAt = new Date('2026-01-01T00:00:00Z');

  it('waits the first entry after the exhausting failure', () => {
    expect(nextSweepAt(failedAt, 0, schedule)).toEqual(new Date('2026-01-01T00:10:00Z'));
  });

  it('takes the entry for the round reached', () => {
    expect(nextSweepAt(failedAt, 2, schedule)).toEqual(new Date('2026-01-01T02:00:00Z'));
  });

  it('stops after the last round', () => {
    expect(nextSweepAt(failedAt, 3, schedule)).toBeNull();
  });
});

describe('describeError', () => {
  it('keeps the message and the top of the stack', () => {
    const text = describeError(new TypeError('boom'), 2);
    expect(text.split('\n')).toHaveLength(3);
    expect(text).toMatch(/^TypeError: boom\nat /);
  });

  it('describes a thrown non-error', () => {
    expect(describeError('just a string')).toBe('just a string');
  });
});
