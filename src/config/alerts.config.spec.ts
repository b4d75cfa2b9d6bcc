import { alertsConfig } from './alerts.config';

describe('ops alerts configuration', () => {
  const load = (environment: Record<string, string>) => {
    const saved = process.env;
    process.env = { ...environment };
    try {
      return alertsConfig();
    } finally {
      process.env = saved;
    }
  };
  const secret = `whsec_${Buffer.from('0123456789abcdef0123').toString('base64')}`;

  it('sends nothing by default, and checks with the documented defaults', () => {
    expect(load({})).toEqual({
      webhook: undefined,
      outboxStalledAfterMs: 120_000,
      spikeCount: 10,
      spikeWindowMs: 300_000,
      checkIntervalMs: 15_000,
      outboxStalledAfter: '2m',
      spikeWindow: '5m',
    });
    expect(load({ OPS_WEBHOOK_URL: '', OPS_WEBHOOK_SECRET: '' }).webhook).toBeUndefined();
  });

  it('signs with the secret given beside the URL', () => {
    const { webhook } = load({ OPS_WEBHOOK_URL: 'https://ops.example/alerts', OPS_WEBHOOK_SECRET: secret });
    expect(webhook).toEqual({ url: 'https://ops.example/alerts', signingKey: Buffer.from('0123456789abcdef0123') });
  });

  it('refuses a URL without a secret, saying how to make one', () => {
    expect(() => load({ OPS_WEBHOOK_URL: 'https://ops.example/alerts' })).toThrow(/OPS_WEBHOOK_SECRET: required when OPS_WEBHOOK_URL is set.*openssl rand/);
  });

  it.each([
    [{ OPS_WEBHOOK_URL: 'ops.example/alerts', OPS_WEBHOOK_SECRET: secret }, /OPS_WEBHOOK_URL: must be an absolute http/],
    [{ OPS_WEBHOOK_URL: 'ftp://ops.example/alerts', OPS_WEBHOOK_SECRET: secret }, /OPS_WEBHOOK_URL: must be an absolute http/],
    [{ OPS_WEBHOOK_URL: 'https://user:pw@ops.example/', OPS_WEBHOOK_SECRET: secret }, /OPS_WEBHOOK_URL: must be an absolute http/],
    [{ OPS_WEBHOOK_URL: 'https://ops.example/', OPS_WEBHOOK_SECRET: 'not-a-secret' }, /OPS_WEBHOOK_SECRET must be a Standard Webhooks secret/],
    [{ OPS_SPIKE_COUNT: '0' }, /OPS_SPIKE_COUNT must be a whole number/],
    [{ OPS_SPIKE_COUNT: '2.5' }, /OPS_SPIKE_COUNT must be a whole number/],
    [{ OPS_SPIKE_WINDOW: '5 minutes' }, /OPS_SPIKE_WINDOW must be a duration/],
    [{ OPS_SPIKE_WINDOW: '0s' }, /OPS_SPIKE_WINDOW: must be longer than 0/],
    [{ OPS_OUTBOX_STALLED_AFTER: '0m' }, /OPS_OUTBOX_STALLED_AFTER: must be longer than 0/],
    [{ OPS_CHECK_INTERVAL: '10ms' }, /OPS_CHECK_INTERVAL: must be at least 100ms/],
  ])('refuses %p', (environment, message) => {
    expect(() => load(environment)).toThrow(message);
  });
});
