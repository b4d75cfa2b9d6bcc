import { http } from './support/http';
import { placeOrder, setStock } from './support/orders';
import { SpawnedPlatform } from './support/spawned-platform';
import { TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** Structured logs as a log pipeline reads them from `node dist/main.js`. */
describe('logs', () => {
  let world: TestWorld;
  const platforms: SpawnedPlatform[] = [];

  beforeAll(async () => {
    world = await TestWorld.create('logging');
  });
  afterAll(async () => {
    for (const platform of platforms) platform.stop();
    await world.destroy();
  });

  async function start(overrides: Record<string, string>): Promise<SpawnedPlatform> {
    const platform = await SpawnedPlatform.start(world.environment({ LOG_FORMAT: 'json', ...overrides }));
    platforms.push(platform);
    return platform;
  }

  const parsed = (platform: SpawnedPlatform) => platform.json();

  it('writes JSON lines: a request log with latency, handler lines with order, message, attempt and handler, and no misleading start-up line', async () => {
    const platform = await start({ LOG_LEVEL: 'debug' });
    await waitFor(async () => (await http(platform.url, 'GET', '/health/ready')).status === 200, { what: 'the platform to be ready', timeoutMs: 30_000 });
    await setStock(platform.url, 'LOG-A', 5);
    const order = await placeOrder(platform.url, [{ sku: 'LOG-A', quantity: 1 }]);
    const handlerLine = await waitFor(
      () => parsed(platform).find((line) => line.handler === 'stock.reserve' && line.orderId === order.id),
      { what: 'the stock.reserve line of the order' },
    );
    expect(handlerLine).toMatchObject({ level: 'debug', attempt: 1, type: 'order.created', messageId: expect.any(String) });
    const request = parsed(platform).find((line) => line.req?.method === 'POST' && line.req?.url === '/orders');
    expect(request).toMatchObject({ level: 'info', res: { statusCode: 201 }, responseTime: expect.any(Number) });
    expect(JSON.stringify(request)).not.toContain('authorization');
    // Fastify answers unreadable JSON before Nest sees the request: still one line.
    expect((await http(platform.url, 'POST', '/orders', { rawBody: '{nope' })).status).toBe(400);
    const refused = await waitFor(() => parsed(platform).find((line) => line.req?.url === '/orders' && line.res?.statusCode === 400), { what: 'the line of the refused request' });
    expect(refused).toMatchObject({ level: 'info', req: { method: 'POST' }, responseTime: expect.any(Number) });
    const probes = parsed(platform).filter((line) => String(line.req?.url).startsWith('/health/'));
    expect(probes).toEqual([]);
    const messages = parsed(platform).map((line) => String(line.msg));
    expect(messages.filter((message) => /Skipping RabbitMQ Handlers|^Successfully connected to RabbitMQ$|Connection Failed/.test(message))).toEqual([]);
    expect(messages.some((message) => /listening on/.test(message))).toBe(true);

    const metrics = await http(platform.url, 'GET', '/metrics');
    expect(metrics.text).toMatch(/^backstop_process_cpu_user_seconds_total \d/m);
    expect(metrics.text).toMatch(/^backstop_nodejs_eventloop_lag_seconds \d/m);
    platform.stop();
  });

  it('names the cause when the broker refuses its vhost', async () => {
    const platform = await start({ RABBITMQ_URL: `${world.rabbitmqUrl}_missing`, LOG_LEVEL: 'warn' });
    const warning = await waitFor(
      () => parsed(platform).find((line) => line.context === 'Broker' && line.level === 'warn'),
      { what: 'a broker warning', timeoutMs: 20_000 },
    );
    expect(warning.msg).toContain(`refused to open the vhost "${world.name}_missing"`);
    expect(warning.msg).toContain('rabbitmqctl add_vhost');
    platform.stop();
  });
});
