import { http } from './support/http';
import { MerchantServer } from './support/merchant-server';
import { paidOrderTo } from './support/notify-helpers';
import { queuesIdle } from './support/reliability-broker';
import { notificationReaches } from './support/retry-helpers';
import { RunningApp, TestWorld } from './support/test-world';

/**
 * SPEC §8: an endpoint whose attempts have all failed for NOTIFY_DISABLE_AFTER becomes
 * DISABLED (compressed here to 500 ms against the 100/200/400 ms test schedule); a success
 * in between starts the count again.
 */
describe('an endpoint failing for NOTIFY_DISABLE_AFTER', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let shop: MerchantServer;

  beforeAll(async () => {
    world = await TestWorld.create('disable_after');
    shop = await MerchantServer.start();
    platform = await world.start({ NOTIFY_DISABLE_AFTER: '500ms' });
  });
  afterAll(async () => {
    await platform.close();
    await shop.stop();
    await world.destroy();
  });

  const paidOrder = (sku: string) => paidOrderTo(platform.url, sku, `${shop.url}/notify`);

  const endpointView = async () => {
    const items = (await http(platform.url, 'GET', '/admin/endpoints', { admin: true })).body.items as { id: string; origin: string; state: string; disabledReason?: string }[];
    return items.find((endpoint) => endpoint.origin === shop.url)!;
  };

  it('is disabled once every attempt has failed for that long, and sent nothing after', async () => {
    shop.answerWith((_, response) => {
      response.statusCode = 500;
      response.end('broken');
    });
    const first = await paidOrder('DA-1');
    await notificationReaches(platform.url, first.id, 'FAILED');
    // Attempts at about 0, 100, 300 and 700 ms: the last comes after 500 ms of nothing but
    // failures (on a loaded machine, G4's lateness may already bring the third past it).
    const sent = shop.forOrder(first.id).length;
    expect(sent >= 3 && sent <= 4).toBe(true);
    expect(await endpointView()).toMatchObject({ state: 'DISABLED', disabledReason: 'every attempt failed for 500ms' });

    const second = await paidOrder('DA-2');
    await notificationReaches(platform.url, second.id, 'FAILED');
    await queuesIdle(world.name, ['notify.merchant']);
    expect(shop.forOrder(second.id)).toHaveLength(0);

    // Enabled again, the count starts afresh: one success keeps it enabled.
    shop.answerWith((_, response) => response.end('success'));
    const { id } = await endpointView();
    expect((await http(platform.url, 'POST', `/admin/endpoints/${id}/enable`, { admin: true })).status).toBe(200);
    const third = await paidOrder('DA-3');
    await notificationReaches(platform.url, third.id, 'DELIVERED');
    expect(await endpointView()).toMatchObject({ state: 'ACTIVE' });
  });
});
