import { httpConfig, parseRate, parseTrustProxy } from './http.config';

describe('HTTP edge configuration', () => {
  const load = (environment: Record<string, string>) => {
    const saved = process.env;
    process.env = { ...environment };
    try {
      return httpConfig();
    } finally {
      process.env = saved;
    }
  };

  it('is open, unlimited and trusts no proxy by default', () => {
    expect(load({})).toEqual({ metricsToken: undefined, ordersRateLimit: undefined, trustProxy: false });
    expect(load({ METRICS_TOKEN: '', RATE_LIMIT_ORDERS: '', TRUST_PROXY: '' })).toEqual({ metricsToken: undefined, ordersRateLimit: undefined, trustProxy: false });
  });

  it.each([
    ['100/1s', { max: 100, windowMs: 1_000 }],
    ['6000/1m', { max: 6_000, windowMs: 60_000 }],
    [' 5 / 250ms ', { max: 5, windowMs: 250 }],
  ])('reads the rate %p', (text, rate) => {
    expect(parseRate(text)).toEqual(rate);
  });

  it.each(['100', '100/', '/1s', '0/1s', '100/0s', '-1/1s', '1.5/1s', '100/1x', '100/1 second', 'abc/1s', '100 per 1s'])('refuses the rate %p', (text) => {
    expect(parseRate(text)).toBeNull();
    expect(() => load({ RATE_LIMIT_ORDERS: text })).toThrow(/RATE_LIMIT_ORDERS/);
  });

  it.each([
    ['true', true],
    ['false', false],
    ['0', false],
    ['2', 2],
    ['10.0.0.0/8', ['10.0.0.0/8']],
    ['127.0.0.1, 10.0.0.0/8,::1,fd00::/8', ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8']],
    ['loopback,uniquelocal', ['loopback', 'uniquelocal']],
  ])('reads TRUST_PROXY=%p', (text, trust) => {
    expect(parseTrustProxy(text)).toEqual(trust);
  });

  it.each(['yes', 'TRUE', '10.0.0.0/33', '10.0.0', 'proxy.internal', '10.0.0.1,,10.0.0.2', '101', '-1'])('refuses TRUST_PROXY=%p', (text) => {
    expect(parseTrustProxy(text)).toBeUndefined();
    expect(() => load({ TRUST_PROXY: text })).toThrow(/TRUST_PROXY/);
  });

  it('takes a METRICS_TOKEN of 16 characters or more, and refuses a short one', () => {
    expect(load({ METRICS_TOKEN: 'scrape-token-0123456789' }).metricsToken).toBe('scrape-token-0123456789');
    expect(() => load({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(() => load({ METRICS_TOKEN: 'with a space 0123456789' })).toThrow(/METRICS_TOKEN/);
  });
});
