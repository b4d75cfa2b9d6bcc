import { BadRequestException } from '@nestjs/common';
import { MAX_JSON_DEPTH, nestedDeeperThan, readJsonText } from './json-body';

const nested = (levels: number, open = '[', close = ']') => open.repeat(levels) + close.repeat(levels);

describe('JSON body depth', () => {
  it.each([
    ['a scalar', '42', 0],
    ['an empty object', '{}', 1],
    ['an order', '{"merchantId":"m","items":[{"sku":"A","quantity":1}]}', 3],
    ['32 arrays', nested(32), 32],
    ['objects and arrays mixed', '{"a":[{"b":[{"c":[]}]}]}', 6],
  ])('%s is %i levels deep', (_, json, depth) => {
    expect(nestedDeeperThan(json, depth)).toBe(false);
    if (depth > 0) expect(nestedDeeperThan(json, depth - 1)).toBe(true);
  });

  it('counts levels, not brackets: siblings do not add up', () => {
    expect(nestedDeeperThan(`[${Array.from({ length: 1_000 }, () => '[[]]').join(',')}]`, 3)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(nestedDeeperThan(JSON.stringify({ text: '['.repeat(100) + '"' + '{'.repeat(100) + '\\' }), 1)).toBe(false);
    expect(nestedDeeperThan(JSON.stringify(['\\', '"', nested(40)]), 1)).toBe(false);
  });

  it('counts 100,000 levels without recursing', () => {
    expect(nestedDeeperThan(nested(100_000, '{"a":', '}'), MAX_JSON_DEPTH)).toBe(true);
  });
});

describe('JSON body text', () => {
  const refusal = (body: Buffer) => {
    try {
      readJsonText(body);
    } catch (error) {
      return error instanceof BadRequestException ? error.message : `not a 400: ${String(error)}`;
    }
    return undefined;
  };

  it('reads UTF-8 as it is', () => {
    expect(readJsonText(Buffer.from('{"m":"café 中文 😀"}'))).toBe('{"m":"café 中文 😀"}');
  });

  it.each([
    ['0xFF', [0xff]],
    ['a lone continuation byte', [0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
    ['an overlong "/"', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ])('refuses %s', (_, bytes) => {
    expect(refusal(Buffer.concat([Buffer.from('{"m":"'), Buffer.from(bytes), Buffer.from('"}')]))).toBe('the body is not valid UTF-8');
  });

  it(`refuses more than ${MAX_JSON_DEPTH} levels, and takes ${MAX_JSON_DEPTH}`, () => {
    expect(refusal(Buffer.from(nested(MAX_JSON_DEPTH + 1)))).toBe(`body is nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(refusal(Buffer.from(nested(MAX_JSON_DEPTH)))).toBeUndefined();
  });
});
