import { decodeCursor, encodeCursor } from './page-cursor';

describe('page cursors', () => {
  it('give back the time and id they were made of', () => {
    const at = new Date('2026-11-22T10:00:00.123Z');
    expect(decodeCursor(encodeCursor(at, '42'), /^\d+$/)).toEqual(['2026-11-22T10:00:00.123Z', '42']);
  });

  it('refuse what this API did not hand out', () => {
    expect(decodeCursor('nope', /^\d+$/)).toBeUndefined();
    expect(decodeCursor(Buffer.from('["yesterday","42"]').toString('base64url'), /^\d+$/)).toBeUndefined();
    expect(decodeCursor(encodeCursor(new Date(), 'abc'), /^\d+$/)).toBeUndefined();
  });
});
