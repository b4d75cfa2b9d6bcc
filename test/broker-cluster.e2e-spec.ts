import type { ChildProcess } from 'node:child_process';
import { http } from './support/http';
import { MerchantServer } from './support/merchant-server';
import { payByCallback } from './support/notify-helpers';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { ClusterNode, LocalRabbitCluster } from './support/rabbitmq-cluster';
import { TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/**
 * A three-node RabbitMQ cluster of this test's own (never the shared node), quorum queues,
 * and RABBITMQ_URL listing every node: killing the node the platform is connected to, under
 * load, costs a few seconds of readiness and nothing else.
 */
describe('a three-node cluster losing the node the platform is connected to', () => {
  const SKU = 'CLUSTER-1';
  let world: TestWorld;
  let cluster: LocalRabbitCluster | undefined;
  let merchant: MerchantServer;
  let platform: { process: ChildProcess; url: string; logTail: () => string };
  let exited: string | undefined;

  beforeAll(async () => {
    world = await TestWorld.create('broker_cluster');
    merchant = await MerchantServer.start();
    const startedAt = Date.now();
    cluster = await LocalRabbitCluster.start(3);
    const { bootMs, joinMs } = cluster.timings;
    console.info(`cluster: three nodes started and joined in ${Date.now() - startedAt} ms (boot ${bootMs} ms, join ${joinMs} ms)`);
    // Its warnings (a publish that failed, a channel lost) are what a failure here is read by.
    platform = await world.spawn({ QUEUE_TYPE: 'quorum', RABBITMQ_URL: cluster.urls().join(','), LOG_LEVEL: 'warn' });
    platform.process.on('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
  }, 90_000);
  afterAll(async () => {
    await world?.destroy();
    await cluster?.stop();
    await merchant?.stop();
  }, 30_000);

  /** Where an order's events are, for a failure's message: its outbox rows, the queues' depths and the platform's last warnings. */
  async function whereIs(orderId: string): Promise<string> {
    const outbox = await world.query(`SELECT state, routing_key, attempts, last_error, created_at, next_attempt_at FROM outbox WHERE envelope::text LIKE $1`, [`%${orderId}%`]);
    const node = cluster!.nodes.find((candidate) => candidate.server?.exitCode === null && candidate.server.signalCode === null)!;
    const queues = await cluster!.ctl(node, 'list_queues', 'name', 'type', 'messages_ready', 'messages_unacknowledged', 'consumers', 'leader', 'members', 'online', '--no-table-headers').catch((error: Error) => error.message);
    const warnings = platform.logTail().split('\n').filter((line) => /warn|error/i.test(line));
    return `outbox at ${new Date().toISOString()}: ${JSON.stringify(outbox)}\nqueues:\n${queues}\nthe platform's last warnings:\n${warnings.join('\n')}`;
  }

  const ready = async () => (await http(platform.url, 'GET', '/health/ready')).status === 200;

  /** One order's whole way: placed, confirmed, paid; the merchant's notification is counted at the end. */
  async function orderToPaid(): Promise<string> {
    const order = await placeOrder(platform.url, [{ sku: SKU, quantity: 1 }], `${merchant.url}/notify`);
    const confirmed = await orderReaches(platform.url, order.id, ['CONFIRMED', 'REJECTED'], 60_000).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await whereIs(order.id)}`);
    });
    expect(confirmed.status).toBe('CONFIRMED');
    await payByCallback(platform.url, order);
    return order.id;
  }

  it('is ready again within seconds, and every order is paid and its merchant notified exactly once', async () => {
    await waitFor(ready, { what: 'the platform to be ready on the cluster', timeoutMs: 30_000, intervalMs: 100 });
    await setStock(platform.url, SKU, 100_000, 100);
    const serving = (await waitFor(() => cluster!.nodeServingClients(), { what: 'the node the platform is connected to', intervalMs: 100 })) as ClusterNode;

    const journeys: Promise<string>[] = [];
    let placing = true;
    const placer = (async () => {
      while (placing) {
        journeys.push(orderToPaid());
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      await waitFor(() => journeys.length >= 20, { what: 'load before the node dies', timeoutMs: 10_000 });
      const killedAt = Date.now();
      await cluster!.kill(serving);
      await waitFor(async () => !(await ready()), { what: 'readiness to notice the lost node', timeoutMs: 10_000, intervalMs: 50 }).catch(() => undefined);
      await waitFor(ready, { what: 'readiness back on the remaining nodes', timeoutMs: 20_000, intervalMs: 100 });
      const readyAfterMs = Date.now() - killedAt;
      await waitFor(() => journeys.length >= 40, { what: 'load after the node died', timeoutMs: 10_000 });
      console.info(`cluster: ${serving.name} killed; ready again after ${readyAfterMs} ms`);
    } finally {
      placing = false;
      await placer;
    }

    const ids = await Promise.all(journeys);
    const paid = await waitFor(
      async () => {
        const rows = await world.query<{ id: string }>(`SELECT id FROM orders WHERE id = ANY($1::uuid[]) AND status = 'PAID'`, [ids]);
        return rows.length === ids.length && rows;
      },
      { what: `all ${ids.length} orders PAID`, timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(paid).toHaveLength(ids.length);

    const webhookIdsOf = (orderId: string) => merchant.forOrder(orderId).map((request) => String(request.headers['webhook-id']));
    await waitFor(() => ids.every((id) => webhookIdsOf(id).length > 0), { what: 'every merchant notified', timeoutMs: 30_000, intervalMs: 200 });
    const distinct = ids.map((id) => new Set(webhookIdsOf(id)).size);
    const duplicates = ids.reduce((sum, id) => sum + webhookIdsOf(id).length - new Set(webhookIdsOf(id)).size, 0);
    console.info(`cluster: ${ids.length} orders paid, ${merchant.received.length} notifications received, ${duplicates} repeated webhook-ids (allowed: at least once)`);
    expect(distinct.every((count) => count === 1)).toBe(true);
    const outboxLeft = () => world.query(`SELECT routing_key, state, attempts, last_error, created_at, next_attempt_at FROM outbox ORDER BY created_at`);
    await waitFor(async () => (await outboxLeft()).length === 0, { what: 'the outbox to be empty', timeoutMs: 30_000, intervalMs: 200 }).catch(async (error: Error) => {
      const warnings = platform.logTail().split('\n').filter((line) => /warn|error/i.test(line));
      throw new Error(`${error.message}\nleft at ${new Date().toISOString()}: ${JSON.stringify(await outboxLeft())}\nthe platform's last warnings:\n${warnings.join('\n')}`);
    });
    expect(exited).toBeUndefined();
  }, 120_000);
});
