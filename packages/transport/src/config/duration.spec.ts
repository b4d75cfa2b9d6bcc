import { formatDuration, parseDuration, parseSchedule } from './duration';

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['3s', 3_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    [' 5s ', 5_000],
  ])('parses %s', (text, expected) => expect(parseDuration(text)).toBe(expected));

  it.each(['', '5', '1.5s', '-3s', '2 days', '3S', 's'])('refuses %p', (text) => {
    expect(() => parseDuration(text)).toThrow(/not a duration/);
  });

  it('parses the stepped notify schedule', () => {
    expect(parseSchedule('3s,30s,60s,120s,180s,300s')).toEqual([3e3, 30e3, 60e3, 120e3, 180e3, 300e3]);
  });

  it('refuses an empty entry in a schedule', () => {
    expect(() => parseSchedule('1s,,2s')).toThrow(/not a schedule/);
  });

  it.each([
    [100, '100ms'],
    [3_000, '3s'],
    [90_000, '90s'],
    [600_000, '10m'],
    [7_200_000, '2h'],
  ])('formats %d as %s', (milliseconds, text) => expect(formatDuration(milliseconds)).toBe(text));
});
