import { MerchantServer } from './support/merchant-server';
import { paidOrderTo } from './support/notify-helpers';
import { attemptLog, expectOnSchedule, notificationReaches, retryGaps } from './support/retry-helpers';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** Tiers far enough apart that each Retry-After below lands on one tier only. */
const SCHEDULE_MS = [100, 200, 1_500];

/**
 * SPEC §8: a merchant that answers 429 with Retry-After gets its next attempt no sooner
 * than it asked, on the first tier of the schedule at or past the wish, and at most on
 * the longest tier; the attempt after that is back on the schedule.
 */
describe('429 with Retry-After', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let merchant: MerchantServer;

  beforeAll(async () => {
    world = await TestWorld.create('retry_after');
    merchant = await MerchantServer.start();
    platform = await world.start({ NOTIFY_RETRY_SCHEDULE: SCHEDULE_MS.map((ms) => `${ms}ms`).join(',') });
  });
  afterAll(async () => {
    await platform.close();
    await merchant.stop();
    await world.destroy();
  });

  /** The merchant answers 429 with this Retry-After to the first request of each notification, then `success`. */
  function throttleFirst(retryAfter: () => string): void {
    merchant.answerWith((request, response) => {
      const seen = merchant.received.filter((other) => other.headers['webhook-id'] === request.headers['webhook-id']).length;
      if (seen === 1) {
        response.writeHead(429, { 'retry-after': retryAfter() });
        response.end('slow down');
      } else {
        response.end('success');
      }
    });
  }

  /**
   * The wait before the second attempt, by the delivery log: from the end of the throttled
   * attempt (when the merchant's Retry-After was read) to the start of the next. The tier's TTL
   * never fires early, so load cannot make "no sooner than asked" fail; above, G4's late bound
   * is for the platform's own work (margins: retry-helpers).
   */
  async function notifiedAfterThrottle(sku: string) {
    const order = await paidOrderTo(platform.url, sku, merchant.url);
    await notificationReaches(platform.url, order.id, 'DELIVERED');
    await waitFor(() => merchant.forOrder(order.id).length === 2, { what: 'two requests for the order' });
    return { order, gaps: retryGaps(await attemptLog(world, order.id)) };
  }

  it('in seconds: waits for the first tier at or past the wish', async () => {
    throttleFirst(() => '1');
    const { gaps } = await notifiedAfterThrottle('RA-SECONDS');
    // 1 s asked, tiers 100 ms, 200 ms, 1.5 s: the 1.5 s tier, never the scheduled 100 ms.
    expectOnSchedule(gaps, [1_500]);
  });

  it('as an HTTP date: the same', async () => {
    // HTTP dates have whole seconds: 1.5 s ahead reads as 0.5 to 1.5 s, all past the 200 ms tier.
    throttleFirst(() => new Date(Date.now() + 1_500).toUTCString());
    const { gaps } = await notifiedAfterThrottle('RA-DATE');
    expectOnSchedule(gaps, [1_500]);
  });

  it('longer than the schedule: the longest tier, and the log says why', async () => {
    throttleFirst(() => '3600');
    const { order, gaps } = await notifiedAfterThrottle('RA-LONG');
    expectOnSchedule(gaps, [1_500]);
    const log = await world.query<{ attempt: number; http_status: number; delivered: boolean }>(
      `SELECT attempt, http_status, delivered FROM deliveries WHERE order_id = $1 ORDER BY attempt`,
      [order.id],
    );
    expect(log).toEqual([
      { attempt: 1, http_status: 429, delivered: false },
      { attempt: 2, http_status: 200, delivered: true },
    ]);
  });
});
