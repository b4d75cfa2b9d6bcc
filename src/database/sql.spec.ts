import { randomInt } from 'node:crypto';
import { escapeLiteral } from 'pg';
import { quoted, Statement } from './sql';

describe('a bound statement written with its values inline', () => {
  const statement = new Statement('inline example', 'SELECT $1, $2, $3, $4, $11 FROM t WHERE a = $1');
  const values = ["it's", 42, null, true, 'x', 'x', 'x', 'x', 'x', 'x', 'back\\slash'];

  it('quotes strings with pg, keeps whole numbers, booleans and NULL, and fills every occurrence', () => {
    // pg writes a string with a backslash as an escape string, with a space before it.
    expect(statement.bind(values).inline()).toBe(`SELECT 'it''s', 42, NULL, true,  E'back\\\\slash' FROM t WHERE a = 'it''s'`);
  });

  it('writes an instant as its ISO text, and a text array in array syntax with each element quoted', () => {
    const at = new Date('2026-12-06T03:04:05.678Z');
    expect(new Statement('inline instant', 'SELECT $1').bind([at]).inline()).toBe(`SELECT '2026-12-06T03:04:05.678Z'`);
    expect(new Statement('inline array', 'SELECT $1').bind([['PENDING', 'a"b', "it's", 'c,d', 'back\\slash']]).inline()).toBe(
      `SELECT  E'{"PENDING","a\\\\"b","it''s","c,d","back\\\\\\\\slash"}'`,
    );
  });

  it.each([[1.5], [Number.MAX_SAFE_INTEGER * 2], [[1]], [{}], [undefined]])('refuses %p, which it cannot write safely', (value) => {
    expect(() => new Statement('inline refusal', 'SELECT $1').bind([value as never]).inline()).toThrow(/cannot be written as a literal/);
  });
});

describe('a bound statement run by its prepared plan', () => {
  it('is EXECUTEd under its SQL name with each parameter once, in order, written as inline writes it', () => {
    const statement = new Statement('execute example', 'SELECT $2, $1 FROM t WHERE a = $1');
    expect(statement.prepareText).toBe(`PREPARE ${statement.sqlName} AS SELECT $2, $1 FROM t WHERE a = $1`);
    expect(statement.bind(["it's", 7]).execute()).toBe(`EXECUTE ${statement.sqlName}('it''s', 7)`);
    expect(new Statement('execute bare', 'SELECT 1').bind([]).execute()).toMatch(/^EXECUTE bs_\d+$/);
  });

  it('is not prepared when it is to be planned on every call, its parameters leave a gap, or it is a utility command', () => {
    expect(new Statement('prepared plain', 'SELECT $1, $2').preparable).toBe(true);
    expect(new Statement('prepared each call', 'SELECT $1', { planEachCall: true }).preparable).toBe(false);
    expect(new Statement('prepared gap', 'SELECT $1, $3').preparable).toBe(false);
    expect(new Statement('prepared utility', `SET LOCAL lock_timeout = '2s'`).preparable).toBe(false);
    expect(new Statement('prepared change', ' WITH moved AS (UPDATE t SET a = $1 RETURNING a) SELECT a FROM moved').preparable).toBe(true);
  });

  it('keeps one SQL name per statement name', () => {
    const first = new Statement('prepared twice', 'SELECT 2');
    expect(new Statement('prepared twice', 'SELECT 2').sqlName).toBe(first.sqlName);
    expect(new Statement('prepared other', 'SELECT 3').sqlName).not.toBe(first.sqlName);
  });
});

describe('statement names', () => {
  it('are one per text: a second statement under a name already taken fails at once', () => {
    new Statement('named once', 'SELECT 1');
    expect(() => new Statement('named once', 'SELECT 2')).toThrow(/two statements are named named once/);
    expect(() => new Statement('named once', 'SELECT 1')).not.toThrow();
  });
});

describe('a string quoted as a literal', () => {
  const alphabet = ["'", '\\', '"', 'a', ' ', '\n', '\u0000', 'é', '😀', '$', ';', '-'];
  const samples = ['', "'", '\\', "it's", 'back\\slash', "''\\\\''", ...Array.from({ length: 500 }, () => Array.from({ length: randomInt(0, 40) }, () => alphabet[randomInt(alphabet.length)]).join(''))];

  it("reads exactly as pg's escapeLiteral writes it", () => {
    for (const sample of samples) expect(quoted(sample)).toBe(escapeLiteral(sample));
  });
});
