import { isCleanText } from './clean-text.validator';

describe('clean text', () => {
  it.each(['merchant-42', '', 'ümlaut 中文', 'emoji 😀 (a surrogate pair)', 'right-to-left \u202E override', 'DEL \u007F', 'no-break space \u00A0 and ÿ \u00FF'])('accepts %p', (text) => {
    expect(isCleanText(text)).toBe(true);
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a tab', 'a\tb'],
    ['a newline', 'a\nb'],
    ['U+001F', 'a\u001Fb'],
    ['U+0080, the first C1 control', 'a\u0080b'],
    ['U+0085 (next line)', 'a\u0085b'],
    ['U+009F, the last C1 control', 'a\u009Fb'],
    ['a lone high surrogate', 'a\uD800b'],
    ['a high surrogate at the end', 'a\uD800'],
    ['a lone low surrogate', 'a\uDC00b'],
    ['two high surrogates', '\uD800\uD800\uDC00'],
    ['a pair in the wrong order', '\uDC00\uD800'],
  ])('refuses %s', (_, text) => {
    expect(isCleanText(text)).toBe(false);
  });
});
