import type { IncomingMessage } from 'node:http';
import { requestIdOf } from './request-id';

describe('the request id of a request', () => {
  const sent = (value: string | string[] | undefined) => requestIdOf({ headers: { 'x-request-id': value } } as unknown as IncomingMessage);
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it.each([
    ['a UUID', '5f0c7a8e-2b1d-4e55-9a3c-8d6f0e1b2a47'],
    ['any printable ASCII, spaces included', 'lb-01 req:42/7 (retry #2)'],
    ['128 characters', 'a'.repeat(128)],
  ])('is the one sent when it is %s', (_, value) => {
    expect(sent(value)).toBe(value);
  });

  it.each([
    ['none is sent', undefined],
    ['it is empty', ''],
    ['it is longer than 128 characters', 'a'.repeat(129)],
    ['it holds a control character', 'abc\tdef'],
    ['it holds a character beyond ASCII (a header is read as latin-1)', 'caf\u00e9'],
    ['it holds DEL', 'abc\u007f'],
    ['it came as several values', ['a', 'b']],
  ])('is a new UUID when %s', (_, value) => {
    expect(sent(value)).toMatch(UUID);
  });

  it('is a different one for every request that sends none', () => {
    expect(sent(undefined)).not.toBe(sent(undefined));
  });
});
