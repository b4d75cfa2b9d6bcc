import { http } from './support/http';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { queueStates } from './support/reliability-broker';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** ROLE=api serves HTTP and relays; ROLE=worker consumes. Events wait in their queues for workers. */
describe('roles', () => {
  let world: TestWorld;
  let api: RunningApp;

  beforeAll(async () => {
    world = await TestWorld.create('roles');
    api = await world.start({ ROLE: 'api' });
  });
  afterAll(() => world.destroy());

  it('keeps an order placed before any worker ran, and a worker started later completes it', async () => {
    // The API process declares every handler's queues but consumes none of them.
    const declared = await waitFor(async () => {
      const states = await queueStates(world.name);
      return states.has('stock.reserve') && states.has('notify.merchant.retry.400ms') ? states : undefined;
    }, { what: 'the API process to declare the handler queues' });
    expect([...declared.values()].every((state) => state.consumers === 0)).toBe(true);

    await setStock(api.url, 'ROLE-A', 5);
    const order = await placeOrder(api.url, [{ sku: 'ROLE-A', quantity: 2 }]);
    // Published (the outbox empties) and stored in the handler's queue, not lost for want of a consumer.
    await waitFor(async () => (await world.query('SELECT 1 FROM outbox')).length === 0, { what: 'the outbox to empty' });
    await waitFor(async () => (await queueStates(world.name)).get('stock.reserve')?.messages === 1, { what: 'order.created to wait in stock.reserve' });
    expect((await http(api.url, 'GET', `/orders/${order.id}`)).body.status).toBe('PENDING');

    await world.spawn({ ROLE: 'worker' });
    await orderReaches(api.url, order.id, ['CONFIRMED'], 30_000);
    expect((await http(api.url, 'GET', '/stock/ROLE-A')).body.available).toBe(3);
  });


  it('stops on SIGTERM: finishes what it holds, closes its connections and exits', async () => {
    const { process: child, url } = await world.spawn({ ROLE: 'all' });
    await setStock(url, 'ROLE-C', 5);
    const order = await placeOrder(url, [{ sku: 'ROLE-C', quantity: 1 }]);
    await orderReaches(url, order.id, ['CONFIRMED']);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    child.kill('SIGTERM');
    const exit = await waitFor(() => Promise.race([exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100))]), {
      what: 'the process to exit after SIGTERM',
      timeoutMs: 20_000,
    });
    // Nest closes the application, then re-raises the signal.
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    await waitFor(async () => (await fetch(`${url}/health/live`).then(() => 'up', () => 'down')) === 'down', {
      what: 'the port to be closed',
    });
  });

  it('stops cleanly on SIGTERM as soon as it is ready, while its consumers may still be setting up', async () => {
    // Before the stop waited for them, a queue declaration cut short by the closing channel
    // ended the process with an unhandled "Channel ended" (exit 1) about half the time.
    for (let run = 1; run <= 3; run++) {
      const { process: child, url } = await world.spawn({ ROLE: 'all' });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      await waitFor(async () => (await http(url, 'GET', '/health/ready')).status === 200, { what: 'the platform to be ready', intervalMs: 20 });
      child.kill('SIGTERM');
      const exit = await exited;
      expect({ run, stderr: stderr.includes('Channel ended') ? stderr : '', clean: exit.code === 0 || exit.signal === 'SIGTERM' }).toEqual({ run, stderr: '', clean: true });
    }
  });
});
