import { unreadableQueryProblem } from './unreadable-query';

describe('unreadable query strings', () => {
  it.each(['', 'q=abc', 'q=caf%C3%A9&limit=10', 'q=%F0%9F%98%80', 'q=a+b%2B', 'flag', 'q=100%', 'q=%zz', 'a=&=b&&'])('reads %p', (query) => {
    expect(unreadableQueryProblem(query)).toBeUndefined();
  });

  it.each([
    ['an encoded unpaired surrogate', 'q=a%ED%A0%80b', /^query parameter q is not valid UTF-8/],
    ['a lone continuation byte', 'limit=10&handler=%80', /^query parameter handler /],
    ['0xFF', 'q=%FF', /^query parameter q /],
    ['a truncated sequence', 'q=%E2%82', /^query parameter q /],
    ['an overlong "/"', 'q=%C0%AF', /^query parameter q /],
    ['a name that is not UTF-8', '%FF=1', /^a query parameter name is not valid UTF-8/],
    ['a name not fit to echo', 'a%20b%0A=%FF', /^a query parameter is not valid UTF-8/],
  ])('names %s', (_, query, problem) => {
    expect(unreadableQueryProblem(query)).toMatch(problem);
  });
});
