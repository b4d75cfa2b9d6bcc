import { gaugeSeries, NAMED_ENDPOINTS } from './in-flight-limits';

describe('gaugeSeries', () => {
  it('answers only `other`, at 0, when nothing is in flight', () => {
    expect(gaugeSeries(new Map())).toEqual([{ endpoint: 'other', count: 0 }]);
  });

  it('names every origin, busiest first, when there are few', () => {
    const series = gaugeSeries(new Map([['https://a', 1], ['https://b', 3], ['https://c', 2]]));
    expect(series).toEqual([
      { endpoint: 'https://b', count: 3 },
      { endpoint: 'https://c', count: 2 },
      { endpoint: 'https://a', count: 1 },
      { endpoint: 'other', count: 0 },
    ]);
  });

  it(`names the ${NAMED_ENDPOINTS} busiest and sums the rest as other`, () => {
    const byOrigin = new Map(Array.from({ length: NAMED_ENDPOINTS + 3 }, (_, index) => [`https://m${index}`, index + 1] as const));
    const series = gaugeSeries(byOrigin);
    expect(series).toHaveLength(NAMED_ENDPOINTS + 1);
    expect(series[0]).toEqual({ endpoint: `https://m${NAMED_ENDPOINTS + 2}`, count: NAMED_ENDPOINTS + 3 });
    expect(series.at(-1)).toEqual({ endpoint: 'other', count: 1 + 2 + 3 });
  });

  it('keeps ties in the order the origins came', () => {
    expect(gaugeSeries(new Map([['https://x', 1], ['https://y', 1], ['https://z', 1]]), 2)).toEqual([
      { endpoint: 'https://x', count: 1 },
      { endpoint: 'https://y', count: 1 },
      { endpoint: 'other', count: 1 },
    ]);
  });
});
