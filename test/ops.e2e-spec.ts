import { http } from './support/http';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { blockVhost, unblockVhost } from './support/reliability-broker';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** Health, metrics, docs and the ops page: what an operator watches. */
describe('operations', () => {
  let world: TestWorld;
  let platform: RunningApp;

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

  it('serves the ops page without data in it, and the API docs', async () => {
    const page = await http(platform.url, 'GET', '/admin');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<title>backstop ops</title>');
    expect(page.text).toContain('/admin/failed-messages');
    const docs = await http(platform.url, 'GET', '/docs-json');
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining(['/orders', '/orders/{id}', '/orders/{id}/pay', '/payments/callback', '/admin/failed-messages']),
    );
  });
});
