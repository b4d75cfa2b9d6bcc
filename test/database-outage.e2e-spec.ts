import { Client } from 'pg';
import { performance } from 'node:perf_hooks';
import { blockDatabase, databaseClient, maintenanceClient, unblockDatabase } from './support/failed-messages';
import { http } from './support/http';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** G7: with the database down, POST /orders answers 503 at once and loses nothing. */
describe('the database down', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let admin: Client;

  beforeAll(async () => {
    world = await TestWorld.create('database_outage');
    // The world's own client is cut off with everyone else's below.
    world.database.on('error', () => undefined);
    platform = await world.start();
    admin = await maintenanceClient();
  });
  afterAll(async () => {
    await unblockDatabase(admin, world.name);
    await admin.end();
    await world.destroy().catch(async () => {
      // The world's client was terminated with the database: drop the world with a fresh one.
      (world as unknown as { database: Client }).database = await databaseClient(world.name);
      await world.destroy();
    });
  });

  it('answers 503 at once while it cannot reach the database, then carries on as if nothing happened', async () => {
    await setStock(platform.url, 'DBDOWN-A', 5);
    await blockDatabase(admin, world.name);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const started = performance.now();
        const answer = await http(platform.url, 'POST', '/orders', {
          body: { merchantId: 'm', items: [{ sku: 'DBDOWN-A', quantity: 1 }], notifyUrl: 'https://merchant.example/n' },
        });
        // "At once": bounded by the pool's 2 s connection timeout, never a hang. Timed around the
        // request: the refused connection makes it tens of ms with the CPU loaded, far below 3 s.
        expect(performance.now() - started).toBeLessThan(3_000);
        expect(answer.status).toBe(503);
        expect(answer.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: expect.stringMatching(/database/) });
      }
      const ready = await http(platform.url, 'GET', '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.message).toEqual({ database: 'down', broker: 'up' });
    } finally {
      await unblockDatabase(admin, world.name);
    }

    // Nothing half-written: no order row appeared, and the platform takes orders again by itself.
    const check = await databaseClient(world.name);
    try {
      expect((await check.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(0);
    } finally {
      await check.end();
    }
    const order = await waitFor(async () => {
      try {
        return await placeOrder(platform.url, [{ sku: 'DBDOWN-A', quantity: 1 }]);
      } catch {
        return undefined;
      }
    }, { what: 'POST /orders to succeed again' });
    await orderReaches(platform.url, order.id, ['CONFIRMED']);
  });
});
