import { http } from './support/http';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { blockVhost, unblockVhost } from './support/reliability-broker';
import { ADMIN_TOKEN, RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** Health, metrics, docs and the ops page: what an operator watches. */
describe('operations', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let rejectedOrderId: string;

  beforeAll(async () => {
    world = await TestWorld.create('ops');
    platform = await world.start();
  });
  afterAll(() => world.destroy());

  it('is live, and ready once the database and the broker answer', async () => {
    expect((await http(platform.url, 'GET', '/health/live')).status).toBe(200);
    const ready = await waitFor(async () => {
      const answer = await http(platform.url, 'GET', '/health/ready');
      return answer.status === 200 ? answer : undefined;
    });
    expect(ready.body).toEqual({ status: 'ok', database: 'up', broker: 'up' });
  });

  it('is not ready while the broker cannot be reached, and says which part is down', async () => {
    await blockVhost(world.name);
    try {
      const answer = await waitFor(async () => {
        const ready = await http(platform.url, 'GET', '/health/ready');
        return ready.status === 503 ? ready : undefined;
      }, { what: 'readiness to report the broker down' });
      expect(answer.body.message).toEqual({ database: 'up', broker: 'down' });
    } finally {
      await unblockVhost(world.name);
    }
    await waitFor(async () => (await http(platform.url, 'GET', '/health/ready')).status === 200, {
      what: 'readiness after the broker is back',
      timeoutMs: 30_000,
    });
  });

  it('counts requests, handler runs, deliveries and the outbox in Prometheus text', async () => {
    await setStock(platform.url, 'OPS-A', 0);
    const order = await placeOrder(platform.url, [{ sku: 'OPS-A', quantity: 1 }], 'http://127.0.0.1:9/unreachable');
    await orderReaches(platform.url, order.id, ['REJECTED']);
    rejectedOrderId = order.id;
    // The merchant is unreachable: notify.merchant retries (100ms, 200ms, 400ms) and gives up.
    const text = await waitFor(async () => {
      const answer = await http(platform.url, 'GET', '/metrics');
      return /backstop_failed_messages\{status="FAILED"\} 1/.test(answer.text) ? answer.text : undefined;
    }, { what: 'the failure to show in /metrics' });
    expect(text).toMatch(/backstop_http_requests_total\{method="POST",route="\/orders",status="201"\} 1/);
    expect(text).toMatch(/backstop_handler_runs_total\{handler="stock.reserve",outcome="done"\} 1/);
    expect(text).toMatch(/backstop_handler_runs_total\{handler="notify.merchant",outcome="retried"\} 3/);
    expect(text).toMatch(/backstop_handler_runs_total\{handler="notify.merchant",outcome="failed"\} 1/);
    expect(text).toMatch(/backstop_retries_total\{handler="notify.merchant",tier="100ms"\} 1/);
    expect(text).toMatch(/backstop_retries_total\{handler="notify.merchant",tier="400ms"\} 1/);
    expect(text).toMatch(/backstop_deliveries_total\{outcome="failed",endpoint_state="ACTIVE"\} 4/);
    expect(text).toMatch(/backstop_outbox_pending\{state="READY"\} \d+/);
    expect(text).toMatch(/backstop_outbox_oldest_age_seconds \d/);
  });

  it('sums up what needs a human for the ops page', async () => {
    const summary = await waitFor(async () => {
      const answer = await http(platform.url, 'GET', '/admin/summary', { admin: true });
      return answer.body.failedMessages?.FAILED === 1 ? answer.body : undefined;
    });
    expect(summary).toMatchObject({ outbox: { prepare: 0, stuck: 0 }, paymentIncidents: 0 });
    expect((await http(platform.url, 'GET', '/admin/summary')).status).toBe(401);
  });

  it("finds an order's failed messages by order id, and retries one from a bodyless JSON POST", async () => {
    const found = await http(platform.url, 'GET', `/admin/failed-messages?orderId=${rejectedOrderId}`, { admin: true });
    expect(found.status).toBe(200);
    expect(found.body.items).toHaveLength(1);
    expect(found.body.items[0]).toMatchObject({ handler: 'notify.merchant', orderId: rejectedOrderId, status: 'FAILED' });
    const other = await http(platform.url, 'GET', '/admin/failed-messages?orderId=00000000-0000-4000-8000-000000000000', { admin: true });
    expect(other.body.items).toEqual([]);
    expect((await http(platform.url, 'GET', '/admin/failed-messages?orderId=nope', { admin: true })).status).toBe(400);
    // What a browser's fetch helper sends for an action without input.
    const retry = await fetch(`${platform.url}/admin/failed-messages/${found.body.items[0].id}/retry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(retry.status).toBe(202);
    const discard = await fetch(`${platform.url}/admin/failed-messages/${found.body.items[0].id}/discard`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(discard.status).toBe(400);
    expect(((await discard.json()) as { message: string[] }).message).toEqual(expect.arrayContaining([expect.stringMatching(/reason/)]));
  });

  it('buckets deliveries and handler runs over a window for the charts', async () => {
    const stats = await http(platform.url, 'GET', '/admin/stats?window=1h&bucket=1m', { admin: true });
    expect(stats.status).toBe(200);
    expect(stats.body.buckets).toHaveLength(60);
    const sum = (pick: (bucket: any) => number) => stats.body.buckets.reduce((total: number, bucket: any) => total + pick(bucket), 0);
    expect(sum((bucket) => bucket.deliveries.failed)).toBeGreaterThanOrEqual(4);
    expect(sum((bucket) => bucket.handlerRuns.done)).toBeGreaterThanOrEqual(1);
    expect(sum((bucket) => bucket.handlerRuns.failed)).toBeGreaterThanOrEqual(4);
    expect((await http(platform.url, 'GET', '/admin/stats?window=7d&bucket=1m', { admin: true })).status).toBe(400);
    expect((await http(platform.url, 'GET', '/admin/stats?window=2y', { admin: true })).status).toBe(400);
    expect((await http(platform.url, 'GET', '/admin/stats')).status).toBe(401);
  });

  it('serves the ops page without data in it, and the API docs', async () => {
    const page = await http(platform.url, 'GET', '/admin');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<title>backstop ops</title>');
    const script = await http(platform.url, 'GET', '/admin/assets/console.js');
    expect(script.status).toBe(200);
    expect(script.text).toContain('/admin/failed-messages');
    const docs = await http(platform.url, 'GET', '/docs-json');
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining(['/orders', '/orders/{id}', '/orders/{id}/pay', '/payments/callback', '/admin/failed-messages']),
    );
  });
});
