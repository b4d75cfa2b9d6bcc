import { endpointIn, FAILURE_GROUP_KEY, failureGroupOf, fingerprintOf, FINGERPRINT_LENGTH, originOf } from './failure-group';

describe('fingerprintOf', () => {
  it('masks the URL and the status of an HTTP failure', () => {
    expect(fingerprintOf('DeliveryFailedError: HTTP 503 from https://shop.example/hook?order=7')).toBe('DeliveryFailedError: HTTP <n> from <url>');
  });

  it('leaves the punctuation after a URL out of it', () => {
    expect(fingerprintOf('Error: refused by https://psp.example/charges/1?try=3: HTTP 502, see (https://status.example).')).toBe(
      'Error: refused by <url>: HTTP <n>, see (<url>).',
    );
  });

  it('keeps the kind and message and leaves the stack out', () => {
    const error = 'TypeError: cannot read properties of undefined\n    at NotifyService.deliver (/app/dist/notify/notify.service.js:42:13)\n    at next';
    expect(fingerprintOf(error)).toBe('TypeError: cannot read properties of undefined');
  });

  it('masks UUIDs, hex ids, times and numbers, so the same failure of two messages is one fingerprint', () => {
    const first = fingerprintOf('ChargeError: order 9f1c2b3a-4d5e-4f60-8a7b-0c1d2e3f4a5b, trade T-c4aed917 refused after 3 tries at 2026-11-22T03:59:40.727Z (0x1f2e)');
    const second = fingerprintOf('ChargeError: order 0b7f4c2e-8f0e-4b1a-9a53-3f1e8f0b6d11, trade T-deadbe07 refused after 12 tries at 2026-11-23T10:00:00Z (0xff)');
    expect(first).toBe('ChargeError: order <id>, trade T-<id> refused after <n> tries at <time> (<id>)');
    expect(second).toBe(first);
  });

  it('leaves words, and numbers inside names, as they are', () => {
    expect(fingerprintOf('Http2Error: deadline exceeded on utf8 stream')).toBe('Http2Error: deadline exceeded on utf8 stream');
  });

  it('masks an address and its port', () => {
    expect(fingerprintOf('Error: connect ECONNREFUSED 127.0.0.1:5672')).toBe('Error: connect ECONNREFUSED <n>:<n>');
  });

  it('collapses whitespace and cuts a very long message', () => {
    expect(fingerprintOf('  Error:   too \t many   spaces ')).toBe('Error: too many spaces');
    expect(fingerprintOf(`Error: ${'x'.repeat(2 * FINGERPRINT_LENGTH)}`)).toHaveLength(FINGERPRINT_LENGTH);
  });

  it('takes a thrown non-error as it is', () => {
    expect(fingerprintOf('just a string with 42 in it')).toBe('just a string with <n> in it');
    expect(fingerprintOf('')).toBe('');
  });
});

describe('originOf and endpointIn', () => {
  it('answers the origin of an http(s) URL, the default port left out', () => {
    expect(originOf('https://Shop.Example:443/hook?x=1')).toBe('https://shop.example');
    expect(originOf('http://127.0.0.1:8080/notify')).toBe('http://127.0.0.1:8080');
    expect(originOf('https://shop.example')).toBe('https://shop.example');
  });

  it('answers null for what is no http(s) URL', () => {
    expect(originOf('amqp://broker:5672')).toBeNull();
    expect(originOf('not a url')).toBeNull();
    expect(originOf(undefined)).toBeNull();
    expect(originOf(null)).toBeNull();
  });

  it('finds the first http(s) URL of the first line', () => {
    expect(endpointIn('Error: HTTP 502 from https://psp.example/charges/123, retried at http://other.example')).toBe('https://psp.example');
    expect(endpointIn('Error: HTTP 502 from https://psp.example.')).toBe('https://psp.example');
    expect(endpointIn('Error: HTTP 502\n    at call (https://cdn.example/app.js:1:2)')).toBeNull();
    expect(endpointIn('Error: broker at amqp://broker:5672 is gone')).toBeNull();
  });
});

describe('failureGroupOf', () => {
  it('groups by handler, fingerprint and endpoint under a key of 16 hex digits', () => {
    const group = failureGroupOf('loyalty.points', 'Error: HTTP 502 from https://psp.example/charges/1');
    expect(group).toEqual({ key: expect.stringMatching(FAILURE_GROUP_KEY), fingerprint: 'Error: HTTP <n> from <url>', endpoint: 'https://psp.example' });
    expect(failureGroupOf('loyalty.points', 'Error: HTTP 504 from https://psp.example/charges/2').key).toBe(group.key);
    expect(failureGroupOf('loyalty.points', 'Error: HTTP 502 from https://other.example/charges/1').key).not.toBe(group.key);
    expect(failureGroupOf('loyalty.audit', 'Error: HTTP 502 from https://psp.example/charges/1').key).not.toBe(group.key);
  });

  it('takes the endpoint the failure names before one in its error', () => {
    const named = failureGroupOf('notify.merchant', 'DeliveryFailedError: HTTP 500', 'https://shop.example/notify?o=1');
    expect(named.endpoint).toBe('https://shop.example');
    expect(failureGroupOf('notify.merchant', 'DeliveryFailedError: HTTP 500', 'https://shop.example/other').key).toBe(named.key);
    expect(failureGroupOf('notify.merchant', 'DeliveryFailedError: HTTP 500', 'https://else.example/notify').key).not.toBe(named.key);
    expect(failureGroupOf('notify.merchant', 'DeliveryFailedError: HTTP 500', 'not a url')).toMatchObject({ endpoint: null });
  });

  it('is the same for the same failure, every time', () => {
    expect(failureGroupOf('stock.reserve', 'Error: boom')).toEqual(failureGroupOf('stock.reserve', 'Error: boom'));
  });
});
