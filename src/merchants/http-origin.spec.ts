import { originProblem } from './http-origin';

describe('originProblem', () => {
  it.each([['https://shop.example'], ['https://shop.example/'], ['http://shop.example:8080'], ['HTTPS://SHOP.EXAMPLE:443'], ['http://[::1]:3000'], ['http://127.0.0.1']])(
    'takes %j',
    (origin) => expect(originProblem(origin)).toBeUndefined(),
  );

  it.each([
    ['shop.example', 'is not a URL'],
    ['ftp://shop.example', 'is not http:// or https://'],
    ['https://user:pw@shop.example', 'has credentials'],
    ['https://shop.example/notify', 'has a path, query or fragment; give the origin alone, https://shop.example'],
    ['https://shop.example?x=1', 'has a path, query or fragment'],
    ['https://shop.example/?', 'has a path, query or fragment'],
    ['https://shop.example#top', 'has a path, query or fragment'],
    ['https://shop.example\u0000', 'is not an origin'],
    [`https://${'a'.repeat(2048)}.example`, 'is not an origin'],
    [42, 'is not a string'],
  ])('refuses %j: %s', (origin, problem) => expect(originProblem(origin)).toEqual(expect.stringContaining(problem)));
});
