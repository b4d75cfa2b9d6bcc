import type { ChildProcess } from 'node:child_process';
import { http } from './support/http';
import { MerchantServer } from './support/merchant-server';
import { payByCallback } from './support/notify-helpers';
import { placeOrder, setStock } from './support/orders';
import { rabbitmqctl } from './support/rabbitmqctl';
import { TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/**
 * The broker refusing the platform (its user's permissions on the vhost revoked: every
 * declare and publish answers 403) keeps the process up: readiness says what to fix, orders
 * are still taken and their events wait in the outbox, and all of it flows once the
 * permissions are back. The platform runs as a process, so a crash shows as its exit.
 * Only this file's own vhost is touched.
 */
describe('broker permissions revoked and granted back', () => {
  const SKU = 'PERM-1';
  let world: TestWorld;
  let merchant: MerchantServer;
  let platform: { process: ChildProcess; url: string };
  let exited: string | undefined;

  beforeAll(async () => {
    world = await TestWorld.create('broker_permissions');
    merchant = await MerchantServer.start();
    platform = await world.spawn();
    platform.process.on('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
  });
  afterAll(async () => {
    await rabbitmqctl('set_permissions', '-p', world.name, 'guest', '.*', '.*', '.*').catch(() => undefined);
    await world.destroy();
    await merchant.stop();
  });

  const readiness = () => http(platform.url, 'GET', '/health/ready');
  const statusesOf = async (ids: string[]) =>
    (await world.query<{ status: string }>(`SELECT status FROM orders WHERE id = ANY($1::uuid[])`, [ids])).map((row) => row.status);
  const readyOutboxRows = async (ids: string[]) =>
    world.query<{ attempts: number }>(`SELECT attempts FROM outbox WHERE state = 'READY' AND COALESCE(envelope->'data'->>'orderId', envelope->'data'->>'id') = ANY($1::text[])`, [ids]);
  const alive = () => {
    if (exited) throw new Error(`the platform ${exited}`);
  };

  it('answers 503 naming the refusal, keeps orders in the outbox, stays up, and catches up once granted', async () => {
    await waitFor(async () => (await readiness()).status === 200, { what: 'the platform to be ready', timeoutMs: 30_000 });
    await setStock(platform.url, SKU, 1_000, 100);

    // The platform's user loses every permission on its vhost; its connections are closed so
    // that it declares its topology again (a live channel may keep using what it checked before).
    await rabbitmqctl('set_permissions', '-p', world.name, 'guest', '', '', '');
    await rabbitmqctl('close_all_connections', '--vhost', world.name, 'test: permissions revoked');

    const refused = await waitFor(
      async () => {
        alive();
        const answer = await readiness();
        return answer.status === 503 && answer.body.message?.broker === 'refusing' ? answer.body.message : undefined;
      },
      { what: 'readiness to report the broker refusing', timeoutMs: 30_000 },
    );
    expect(refused.brokerRefusal).toMatch(new RegExp(`refused \\w+ on vhost "${world.name}".*403|ACCESS_REFUSED`));
    expect(refused.brokerRefusal).toContain('set_permissions');

    const orders = [];
    for (let index = 0; index < 3; index++) {
      orders.push(await placeOrder(platform.url, [{ sku: SKU, quantity: 1 }], `${merchant.url}/notify`));
    }
    const ids = orders.map((order) => order.id);
    // Each event tried and refused at least twice: the process lived through the reconnects in between.
    await waitFor(
      async () => {
        alive();
        const rows = await readyOutboxRows(ids);
        return rows.length === ids.length && rows.every((row) => row.attempts >= 2);
      },
      { what: 'the refused events to be retried while waiting in the outbox', timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(await statusesOf(ids)).toEqual(['PENDING', 'PENDING', 'PENDING']);
    expect((await readiness()).status).toBe(503);

    await rabbitmqctl('set_permissions', '-p', world.name, 'guest', '.*', '.*', '.*');
    await waitFor(
      async () => {
        alive();
        return (await readiness()).status === 200;
      },
      { what: 'readiness back to 200', timeoutMs: 30_000 },
    );
    await waitFor(async () => (await statusesOf(ids)).every((status) => status === 'CONFIRMED'), {
      what: 'every order CONFIRMED',
      timeoutMs: 30_000,
      intervalMs: 200,
    });

    for (const order of orders) await payByCallback(platform.url, order);
    await waitFor(async () => new Set(merchant.received.map((request) => request.body.orderId)).size === ids.length, {
      what: 'every merchant notified',
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    await waitFor(async () => (await world.query(`SELECT 1 FROM outbox`)).length === 0, { what: 'the outbox to be empty', timeoutMs: 30_000, intervalMs: 200 });
    alive();
  });
});
