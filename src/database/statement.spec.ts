import { Statement } from './statement';

describe('a statement written with its values inline', () => {
  const statement = new Statement('inline example', 'SELECT $1, $2, $3, $10 FROM t WHERE a = $1');
  const values = ['it\'s', 42, null, 'x', 'x', 'x', 'x', 'x', 'x', 'back\\slash'];

  it('quotes strings with pg, keeps whole numbers and NULL, and fills every occurrence', () => {
    // pg writes a string with a backslash as an escape string, with a space before it.
    expect(statement.inline(values)).toBe(`SELECT 'it''s', 42, NULL,  E'back\\\\slash' FROM t WHERE a = 'it''s'`);
  });

  it.each([[1.5], [Number.MAX_SAFE_INTEGER * 2], [true], [new Date()], [['a']], [undefined]])('refuses %p, which it cannot write safely', (value) => {
    expect(() => new Statement('inline refusal', 'SELECT $1').inline([value as never])).toThrow(/cannot be written as a literal/);
  });
});
