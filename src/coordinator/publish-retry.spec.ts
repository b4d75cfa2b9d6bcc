import { PUBLISH_TIMEOUT_MS, PublishReturned } from '@backstop/transport';
import { publishRetryMs } from './publish-retry';

describe('publishRetryMs', () => {
  const timedOut = new Error('timeout');
  const returned = new PublishReturned('order.events', 'order.created');

  it('doubles from half a second after each failure', () => {
    expect([1, 2, 3].map((attempts) => publishRetryMs(timedOut, attempts))).toEqual([500, 1_000, 2_000]);
    expect([1, 2, 3].map((attempts) => publishRetryMs(returned, attempts))).toEqual([500, 1_000, 2_000]);
  });

  it('waits no longer than one publish timeout after the broker failed to confirm, however many failures came before', () => {
    expect(publishRetryMs(timedOut, 6)).toBe(PUBLISH_TIMEOUT_MS);
    expect(publishRetryMs(new Error('message nacked'), 40)).toBe(PUBLISH_TIMEOUT_MS);
  });

  it('backs off up to a minute for an event no queue took', () => {
    expect(publishRetryMs(returned, 7)).toBe(32_000);
    expect(publishRetryMs(returned, 40)).toBe(60_000);
  });
});
