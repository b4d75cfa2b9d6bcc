import { orderIdOf } from '@backstop/transport';
import { connect } from 'amqplib';
import { join } from 'node:path';
import { Client } from 'pg';
import { failedMessage, FailedMessageView } from '../../../test/support/failed-messages';
import { http } from '../../../test/support/http';
import { paidOrderTo } from '../../../test/support/notify-helpers';
import { queueDepths, rabbitmqctl } from '../../../test/support/rabbitmqctl';
import { TestWorld } from '../../../test/support/test-world';
import { waitFor } from '../../../test/support/wait-for';

const QUEUE = 'loyalty.points';
const SERVICE = join(__dirname, '..', 'dist', 'main.js');

/**
 * The loyalty-points example on the backstop transport, as its own process with its own
 * database, next to backstop as a process of its own, on the real broker: what it gives up
 * on reaches backstop's console, and a re-run from there settles the row.
 */
describe('an internal service on the backstop transport', () => {
  let world: TestWorld;
  let loyalty: Client;
  let platform: { process: import('node:child_process').ChildProcess; url: string };

  beforeAll(async () => {
    world = await TestWorld.create('loyalty_points');
    const loyaltyUrl = await world.createDatabase('loyalty');
    platform = await world.spawn();
    const service = world.spawnScript(SERVICE, {
      DATABASE_URL: loyaltyUrl,
      RABBITMQ_URL: world.rabbitmqUrl,
      LOYALTY_RETRY_SCHEDULE: '100ms,200ms',
      LOG_LEVEL: 'error',
    });
    await waitFor(
      async () => {
        if (service.child.exitCode !== null) throw new Error(`loyalty-points exited ${service.child.exitCode}: ${service.stderr()}`);
        return (await consumersOf(world.name, QUEUE)) > 0;
      },
      { what: 'loyalty-points to consume its queue', timeoutMs: 30_000, intervalMs: 200 },
    );
    loyalty = new Client({ connectionString: loyaltyUrl });
    await loyalty.connect();
  });

  afterAll(async () => {
    await loyalty?.end();
    await world.destroy();
  });

  it('gives up after its schedule, shows in the console, and a re-run awards the points once', async () => {
    const order = await paidOrderTo(platform.url, 'LOYALTY-A', 'https://merchant.example/notify');

    // No points rate for CNY yet: every attempt fails, then the service hands the event to backstop.
    const failed = await waitFor(() => serviceFailureOf(platform.url, order.id), { what: 'the loyalty failure in the console', timeoutMs: 20_000 });
    expect(failed).toMatchObject({ handler: QUEUE, queue: QUEUE, routingKey: 'order.paid', status: 'FAILED', attempts: 3, poison: false });
    const detail = await failedMessage(platform.url, failed.id);
    expect(detail.errors.map((error) => error.attempt)).toEqual([1, 2, 3]);
    expect(detail.error).toMatch(/PointsException: no points rate for CNY/);
    expect(await pointsOf(order.id)).toEqual([]);

    await loyalty.query(`INSERT INTO point_rates (currency, points_per_hundred) VALUES ('CNY', 10)`);
    const retry = await http(platform.url, 'POST', `/admin/failed-messages/${failed.id}/retry`, { admin: true });
    expect(retry.status).toBe(202);

    const resolved = await waitFor(
      async () => {
        const row = await failedMessage(platform.url, failed.id);
        return row.status === 'RESOLVED' ? row : undefined;
      },
      { what: 'the re-run to resolve the row', timeoutMs: 15_000 },
    );
    expect(resolved.resolvedAt).not.toBeNull();
    // 500 minor units at 10 points a hundred.
    expect(await pointsOf(order.id)).toEqual([50]);

    // The same event once more, as a redelivery after a lost ack would bring it: acked without effect.
    await publish((channel) => channel.sendToQueue(QUEUE, Buffer.from(JSON.stringify(detail.payload)), { messageId: detail.messageId, persistent: true }));
    await waitFor(async () => (await queueDepth(QUEUE)) === 0, { what: `${QUEUE} to take the redelivery`, intervalMs: 100 });
    expect(await pointsOf(order.id)).toEqual([50]);
    expect((await listed(platform.url, QUEUE)).filter((row) => orderIdOf(row.payload) === order.id)).toHaveLength(1);
  });

  it('sets poison aside at once, and its report waits in backstop.errors while backstop is down', async () => {
    platform.process.kill('SIGTERM');
    await waitFor(() => platform.process.exitCode !== null || platform.process.signalCode !== null, { what: 'backstop to stop' });

    const poison = `not an envelope ${Date.now()}`;
    await publish((channel) => channel.publish('order.events', 'order.paid', Buffer.from(poison), { persistent: true }));
    await waitFor(async () => (await queueDepth('backstop.errors')) === 1, { what: 'the report to wait in backstop.errors', intervalMs: 100 });

    platform = await world.spawn();
    const row = await waitFor(
      async () => (await listed(platform.url, QUEUE)).find((item) => item.payload === poison),
      { what: 'the poison report to be recorded', timeoutMs: 20_000 },
    );
    expect(row).toMatchObject({ status: 'FAILED', poison: true, attempts: 1, nextSweepAt: null });
    expect(row.error).toMatch(/InvalidEnvelopeError: the body is not JSON/);
    await waitFor(async () => (await queueDepth('backstop.errors')) === 0, { what: 'backstop.errors to drain' });
  });

  it('records a malformed report or re-run result as poison of its queue and keeps consuming', async () => {
    const someRow = (await listed(platform.url, QUEUE))[0];
    await publish(async (channel) => {
      channel.sendToQueue('backstop.errors', Buffer.from('{}'), { messageId: 'report-without-queue', headers: { 'x-attempt': 3, 'x-errors': '[]' } });
      channel.sendToQueue('backstop.rerun-results', Buffer.from('{not json'), { messageId: 'unreadable-result' });
      // Another service may not settle this service's rows.
      const stranger = { failedMessageId: someRow.id, queue: 'someone.else', outcome: 'RESOLVED', attempt: 9 };
      channel.sendToQueue('backstop.rerun-results', Buffer.from(JSON.stringify(stranger)), { messageId: 'stranger-result' });
    });

    const refused = await waitFor(
      async () => {
        const rows = [...(await listed(platform.url, 'backstop.errors')), ...(await listed(platform.url, 'backstop.rerun-results'))];
        return rows.length === 3 ? new Map(rows.map((row) => [row.messageId, row])) : undefined;
      },
      { what: 'the three refusals to be recorded' },
    );
    expect(refused.get('report-without-queue')).toMatchObject({ handler: 'backstop.errors', poison: true, status: 'FAILED' });
    expect(refused.get('report-without-queue')!.error).toMatch(/error report: queue: .*queue name/);
    expect(refused.get('report-without-queue')!.error).toMatch(/errors: errors must contain at least 1 elements/);
    expect(refused.get('unreadable-result')!.error).toMatch(/InvalidRerunResultError: the body is not JSON/);
    expect(refused.get('stranger-result')!.error).toMatch(/someone\.else re-ran .* not a failed message of its queue/);
    expect((await failedMessage(platform.url, someRow.id)).status).toBe(someRow.status);
  });

  it("counts a re-run's failure that arrives before its row is marked RETRYING, once", async () => {
    await loyalty.query(`DELETE FROM point_rates`);
    const order = await paidOrderTo(platform.url, 'LOYALTY-EARLY', 'https://merchant.example/notify');
    const failed = await waitFor(() => serviceFailureOf(platform.url, order.id), { what: 'the loyalty failure in the console', timeoutMs: 20_000 });
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 3 });

    // What the transport reports when a re-run of attempt 4 fails, here ahead of any RETRYING mark; and its redelivery.
    const result = { failedMessageId: failed.id, queue: QUEUE, outcome: 'FAILED', attempt: 4, error: 'PointsException: still no rate', summary: 'still no rate' };
    await publish((channel) => {
      channel.sendToQueue('backstop.rerun-results', Buffer.from(JSON.stringify(result)), { messageId: `early-${failed.id}`, persistent: true });
      channel.sendToQueue('backstop.rerun-results', Buffer.from(JSON.stringify(result)), { messageId: `early-${failed.id}`, persistent: true });
    });
    await waitFor(async () => (await queueDepth('backstop.rerun-results')) === 0, { what: 'backstop.rerun-results to drain', intervalMs: 100 });
    const counted = await failedMessage(platform.url, failed.id);
    expect(counted).toMatchObject({ status: 'FAILED', attempts: 4, sweepCount: 1, error: 'PointsException: still no rate' });
    expect(counted.errors.map((error) => error.attempt)).toEqual([1, 2, 3, 4]);
  });

  async function pointsOf(orderId: string): Promise<number[]> {
    const { rows } = await loyalty.query('SELECT points FROM points_entries WHERE order_id = $1', [orderId]);
    return rows.map((row) => row.points as number);
  }

  function queueDepth(queue: string): Promise<number> {
    return queueDepths(world.name).then((depths) => depths.get(queue) ?? 0);
  }

  async function publish(work: (channel: import('amqplib').ConfirmChannel) => unknown): Promise<void> {
    const connection = await connect(world.rabbitmqUrl);
    try {
      const channel = await connection.createConfirmChannel();
      await work(channel);
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
  }
});

async function consumersOf(vhost: string, queue: string): Promise<number> {
  const out = await rabbitmqctl('list_queues', '-p', vhost, 'name', 'consumers', '--no-table-headers');
  const line = out.split('\n').find((entry) => entry.trim().split(/\s+/)[0] === queue);
  return line ? Number(line.trim().split(/\s+/)[1]) : 0;
}

async function listed(base: string, handler: string): Promise<FailedMessageView[]> {
  const answer = await http(base, 'GET', `/admin/failed-messages?handler=${handler}&limit=500`, { admin: true });
  if (answer.status !== 200) throw new Error(`GET /admin/failed-messages: ${answer.status} ${answer.text}`);
  return answer.body.items;
}

async function serviceFailureOf(base: string, orderId: string): Promise<FailedMessageView | undefined> {
  return (await listed(base, QUEUE)).find((row) => orderIdOf(row.payload) === orderId);
}
