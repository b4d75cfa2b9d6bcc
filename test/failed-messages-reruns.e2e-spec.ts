import { connect } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { TopologyReadiness } from '../src/messaging/topology-readiness';
import { failedMessage, FailedMessageView } from './support/failed-messages';
import { http } from './support/http';
import { consumersReady } from './support/reliability-broker';
import { ServiceDouble } from './support/service-double';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const SERVICE_QUEUE = 'loyalty.reruns';

async function listed(base: string, query: string): Promise<FailedMessageView[]> {
  const answer = await http(base, 'GET', `/admin/failed-messages?limit=500&${query}`, { admin: true });
  if (answer.status !== 200) throw new Error(`GET /admin/failed-messages?${query}: ${answer.status} ${answer.text}`);
  return answer.body.items;
}

/** `backstop_failed_messages{status="…"}` as /metrics reports it. */
async function failedGauge(base: string, status: string): Promise<number> {
  const text = (await http(base, 'GET', '/metrics')).text;
  const line = text.split('\n').find((row) => row.startsWith(`backstop_failed_messages{status="${status}"}`));
  if (!line) throw new Error(`no backstop_failed_messages{status="${status}"} in /metrics`);
  return Number(line.split(' ').at(-1));
}

describe('failed messages: retry all that match leaves poison alone', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let service: ServiceDouble;

  beforeAll(async () => {
    world = await TestWorld.create('failed_bulk_poison');
    // No sweep within the test: only ops re-run here.
    platform = await world.start({ SWEEP_SCHEDULE: '1h', SWEEP_INTERVAL: '100ms' });
    await waitFor(() => platform.app.get(TopologyReadiness).ready, { what: 'the handler topology to be declared' });
    service = await ServiceDouble.start(world.rabbitmqUrl, SERVICE_QUEUE);
  });
  afterAll(async () => {
    await service?.stop();
    await world.destroy();
  });

  it('re-runs the readable rows, skips the poison and says how many it skipped', async () => {
    // A body that is not JSON on stock.reserve: poison, recorded at once (G6).
    await consumersReady(world.name, ['stock.reserve']);
    const poisonId = `poison-${randomUUID()}`;
    const connection = await connect(world.rabbitmqUrl);
    try {
      const channel = await connection.createConfirmChannel();
      channel.sendToQueue('stock.reserve', Buffer.from('{"id": oops, not JSON'), { messageId: poisonId, persistent: true });
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
    // And two a service gave up on, one of them poison too (it could not read it).
    const [readableId, servicePoisonId] = await service.report([
      { body: JSON.stringify({ id: randomUUID(), type: 'order.paid', data: { orderId: randomUUID() } }), error: 'PointsError: no points rate for CNY' },
      { body: 'not an envelope', error: 'InvalidEnvelopeError: the body is not JSON', attempts: 1, poison: true },
    ]);
    const rows = await waitFor(
      async () => {
        const found = await listed(platform.url, 'status=FAILED');
        return found.length === 3 ? new Map(found.map((row) => [row.messageId, row])) : undefined;
      },
      { what: 'the three failures to be recorded' },
    );
    expect(rows.get(poisonId)).toMatchObject({ handler: 'stock.reserve', poison: true });
    expect(rows.get(servicePoisonId)).toMatchObject({ handler: SERVICE_QUEUE, poison: true });
    expect(rows.get(readableId)).toMatchObject({ handler: SERVICE_QUEUE, poison: false });

    // Of one handler: the readable row is re-run, its poison skipped.
    const ofService = await http(platform.url, 'POST', '/admin/failed-messages/retry', { admin: true, body: { handler: SERVICE_QUEUE } });
    expect(ofService.status).toBe(202);
    expect(ofService.body).toEqual({ count: 1, skipped: 1 });
    // Of every handler: nothing FAILED is left to re-run but the two poison rows.
    const all = await http(platform.url, 'POST', '/admin/failed-messages/retry', { admin: true, body: {} });
    expect(all.status).toBe(202);
    expect(all.body).toEqual({ count: 0, skipped: 2 });

    // The answer comes after the rows were marked: the poison is as it was, with no action on it.
    for (const id of [poisonId, servicePoisonId]) {
      const detail = await failedMessage(platform.url, rows.get(id)!.id);
      expect({ id, status: detail.status, attempts: detail.attempts, actions: detail.actions }).toEqual({ id, status: 'FAILED', attempts: 1, actions: [] });
    }
    const readable = await failedMessage(platform.url, rows.get(readableId)!.id);
    expect(readable.status).toBe('RETRYING');
    expect(readable.actions.map(({ action, actor }) => ({ action, actor }))).toEqual([{ action: 'retry', actor: 'admin' }]);
    // Poison is still re-run when ops ask for it by id.
    expect((await http(platform.url, 'POST', `/admin/failed-messages/${rows.get(servicePoisonId)!.id}/retry`, { admin: true })).status).toBe(202);
  });
});

describe('failed messages: a re-run that never reports back (RERUN_LEASE=1500ms)', () => {
  const LEASE_MS = 1_500;
  let world: TestWorld;
  let platform: RunningApp;
  let service: ServiceDouble;

  beforeAll(async () => {
    world = await TestWorld.create('failed_lost_rerun');
    platform = await world.start({ RERUN_LEASE: `${LEASE_MS}ms`, SWEEP_SCHEDULE: '1h,1h', SWEEP_INTERVAL: '100ms' });
    await waitFor(() => platform.app.get(TopologyReadiness).ready, { what: 'the handler topology to be declared' });
    // Its queue is there, but the service is down: the re-run waits in it, and no result comes.
    service = await ServiceDouble.start(world.rabbitmqUrl, SERVICE_QUEUE);
  });
  afterAll(async () => {
    await service?.stop();
    await world.destroy();
  });

  it('returns the row to FAILED once its lease runs out, saying so, and offers it again', async () => {
    const [messageId] = await service.report([{ body: JSON.stringify({ id: randomUUID(), type: 'order.paid', data: {} }), error: 'PointsError: no points rate for CNY' }]);
    const row = await waitFor(async () => (await listed(platform.url, `q=${messageId}`))[0], { what: 'the failure to be recorded' });
    expect(row).toMatchObject({ status: 'FAILED', attempts: 3, sweepCount: 0 });

    const retried = await http(platform.url, 'POST', `/admin/failed-messages/${row.id}/retry`, { admin: true });
    expect(retried.status).toBe(202);
    const retriedAt = Date.now();
    expect((await failedMessage(platform.url, row.id)).status).toBe('RETRYING');
    expect(await failedGauge(platform.url, 'RETRYING')).toBe(1);

    // Lease plus a few sweep intervals, and slack for a shared machine.
    const lost = await waitFor(
      async () => {
        const detail = await failedMessage(platform.url, row.id);
        return detail.status === 'FAILED' ? detail : undefined;
      },
      { what: 'the lost re-run to make its row FAILED again', timeoutMs: LEASE_MS + 10_000, intervalMs: 100 },
    );
    // Not before the lease ran out (the platform's clock stamps lastFailedAt; it runs in this process).
    expect(Date.parse(lost.lastFailedAt)).toBeGreaterThanOrEqual(retriedAt + LEASE_MS - 50);
    expect(lost.error).toBe('RerunLostError: the re-run never reported back within 1500ms');
    // It counts as the failed re-run it was: one attempt more, one sweep round further along, swept again in an hour.
    expect(lost).toMatchObject({ attempts: 4, sweepCount: 1 });
    expect(lost.errors.at(-1)).toMatchObject({ attempt: 4, error: 'RerunLostError: the re-run never reported back within 1500ms' });
    expect(Date.parse(lost.nextSweepAt!)).toBe(Date.parse(lost.lastFailedAt) + 3_600_000);
    expect(await failedGauge(platform.url, 'RETRYING')).toBe(0);
    expect(await failedGauge(platform.url, 'FAILED')).toBe(1);

    // Offered again as any FAILED row; then the service is back and answers RESOLVED. The lost
    // re-run is still in its queue, ahead of this one: whichever result comes first resolves
    // the row, and a resolved row stays so.
    expect((await http(platform.url, 'POST', `/admin/failed-messages/${row.id}/retry`, { admin: true })).status).toBe(202);
    await service.answerReruns();
    const resolved = await waitFor(
      async () => {
        const detail = await failedMessage(platform.url, row.id);
        return detail.status === 'RESOLVED' ? detail : undefined;
      },
      { what: 'the second re-run to resolve the row' },
    );
    expect(resolved.nextSweepAt).toBeNull();
    await waitFor(() => service.reruns.length === 2, { what: 'the service to have both re-runs' });
    expect(service.reruns.map((rerun) => rerun.attempt)).toEqual([4, 5]);
    expect((await failedMessage(platform.url, row.id)).status).toBe('RESOLVED');
    expect(await failedGauge(platform.url, 'RETRYING')).toBe(0);
  });
});
