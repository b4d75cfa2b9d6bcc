import { ServerResponse } from 'node:http';
import { http } from './support/http';
import { MerchantServer, MerchantServers } from './support/merchant-server';
import { deliveriesOf, DeliveryRow, EventTap, paidOrderTo, quiesce } from './support/notify-helpers';
import { attemptLog } from './support/retry-helpers';
import { TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/**
 * SPEC §8, one attempt at a time: an attempt never starts beside a live one, each attempt is
 * in the delivery log before its request goes out, and a merchant's answer is read only as
 * far as it matters. Real broker, database, merchant servers and, for the crash, a real
 * process killed with SIGKILL. One platform at a time in this world.
 */
describe('merchant notification attempts', () => {
  let world: TestWorld;
  const merchants = new MerchantServers();
  const merchant = () => merchants.start();

  beforeAll(async () => {
    world = await TestWorld.create('notify_attempts');
  });
  afterAll(async () => {
    await world.destroy();
    await merchants.stopAll();
  });

  const paidOrder = paidOrderTo;

  const notificationReaches = (base: string, orderId: string, state: string, timeoutMs = 30_000) =>
    waitFor(
      async () => {
        const { notification } = (await http(base, 'GET', `/orders/${orderId}`)).body;
        return notification?.state === state ? notification : undefined;
      },
      { what: `the notification of ${orderId} to be ${state}`, timeoutMs, intervalMs: 100 },
    );

  /** Counts a merchant's requests in flight per webhook-id, and the most ever in flight at once. */
  function trackInFlight(shop: MerchantServer, answer: (response: ServerResponse, request: number) => void) {
    const inFlight = new Map<string, number>();
    const most = { atOnce: 0 };
    let requests = 0;
    shop.answerWith((received, response) => {
      const id = String(received.headers['webhook-id']);
      inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
      most.atOnce = Math.max(most.atOnce, inFlight.get(id)!);
      response.once('close', () => inFlight.set(id, inFlight.get(id)! - 1));
      answer(response, ++requests);
    });
    return most;
  }

  describe('in one process', () => {
    let platform: Awaited<ReturnType<TestWorld['start']>>;
    let tap: EventTap;

    beforeAll(async () => {
      // Retries spaced out enough that a redelivered copy is still retrying when the first attempt ends.
      platform = await world.start({ NOTIFY_TIMEOUT: '10s', NOTIFY_RETRY_SCHEDULE: '1500ms,3s,6s' });
      tap = await EventTap.open(world.rabbitmqUrl, ['order.paid']);
    });
    afterAll(async () => {
      await tap?.close();
      await quiesce(world.name);
      await platform?.close();
    });

    it('does not send again while an attempt is live, even when the event is delivered again meanwhile', async () => {
      const shop = await merchant();
      let held: ServerResponse | undefined;
      const most = trackInFlight(shop, (response, request) => {
        if (request === 1) held = response; // answered later, with a failure
        else response.end('success');
      });
      const order = await paidOrder(platform.url, 'ATT-LIVE', `${shop.url}/notify`);
      await waitFor(() => held, { what: 'the first request to reach the merchant' });

      // Logged before it went out: while the merchant holds it, its outcome is unknown.
      expect(await deliveriesOf(platform.url, order.id)).toEqual([
        expect.objectContaining({ attempt: 1, delivered: null, httpStatus: null, durationMs: null, error: 'outcome unknown', responseSnippet: null }),
      ]);

      // The broker hands the same event over again while the first attempt is live.
      const event = await waitFor(() => tap.find('order.paid', order.id), { what: 'the order.paid event on the tap' });
      await tap.republish(event);
      // The copy was handled and sent nowhere: it waits on the broker (a not_yet run, no attempt), the first request still open.
      const waits = async () => Number(/^backstop_handler_runs_total\{handler="notify\.merchant",outcome="not_yet"\} (\d+)$/m.exec((await http(platform.url, 'GET', '/metrics')).text)?.[1] ?? 0);
      await waitFor(async () => (await waits()) > 0, { what: 'the copy to be put off to wait on the broker', timeoutMs: 20_000, intervalMs: 100 });
      expect(shop.forOrder(order.id)).toHaveLength(1);

      held!.statusCode = 500;
      held!.end('busy');
      await notificationReaches(platform.url, order.id, 'DELIVERED');
      await quiesce(world.name);

      const requests = shop.forOrder(order.id);
      expect(new Set(requests.map((request) => request.headers['webhook-id']))).toEqual(new Set([event.properties.messageId]));
      expect(most.atOnce).toBe(1);
      // Every request that went out is one logged attempt, each with its outcome; once delivered, none more.
      const deliveries = await deliveriesOf(platform.url, order.id);
      expect(deliveries).toHaveLength(requests.length);
      expect(deliveries[0]).toMatchObject({ attempt: 1, httpStatus: 500, delivered: false, error: 'HTTP 500', responseSnippet: 'busy' });
      expect(deliveries.at(-1)).toMatchObject({ httpStatus: 200, delivered: true, error: null, responseSnippet: 'success' });
      expect(deliveries.filter((delivery) => delivery.delivered)).toHaveLength(1);
      expect(deliveries.every((delivery) => delivery.delivered !== null)).toBe(true);
    });

    it('stops reading a 50 MB answer after its first KiB, and logs that first KiB', async () => {
      const shop = await merchant();
      const total = 50 * 1024 * 1024;
      const chunk = Buffer.alloc(64 * 1024);
      for (let i = 0; i < chunk.length; i++) chunk[i] = 97 + (i % 26); // abc…z abc…
      const sent = { bytes: 0, closedEarly: false };
      shop.answerWith((_, response) => {
        response.writeHead(200, { 'content-type': 'text/plain', 'content-length': total });
        response.once('close', () => (sent.closedEarly = sent.bytes < total));
        // Slowly: the whole body would take far longer than NOTIFY_TIMEOUT to arrive.
        const writeMore = () => {
          if (response.destroyed || sent.bytes >= total) return;
          response.write(chunk);
          sent.bytes += chunk.length;
          setTimeout(writeMore, 20);
        };
        writeMore();
      });
      const order = await paidOrder(platform.url, 'ATT-HUGE', `${shop.url}/notify`);

      const [first] = await waitFor(
        async () => {
          const rows = await deliveriesOf(platform.url, order.id);
          return rows[0]?.delivered !== null && rows[0] ? rows : undefined;
        },
        { what: 'the first attempt to complete', timeoutMs: 20_000 },
      );
      expect(first).toMatchObject({ attempt: 1, httpStatus: 200, delivered: false, error: expect.stringMatching(/success/) });
      expect(first.responseSnippet).toBe(chunk.subarray(0, 1024).toString('utf8'));
      // Cut after the first chunks, not read to the end nor left to the 10 s timeout, as the
      // platform timed it: reading a chunk takes ms even on a loaded machine, and 3 s is still
      // 7 s short of the timeout it must not wait for.
      expect(first.durationMs).toBeLessThan(3_000);
      await waitFor(() => sent.closedEarly, { what: 'the merchant to see its connection closed' });
      expect(sent.bytes).toBeLessThan(total / 10);
    });
  });

  describe('across a crash', () => {
    it('logs an attempt whose process is killed mid-send as of unknown outcome, and a new process delivers it', async () => {
      const shop = await merchant();
      let held: ServerResponse | undefined;
      let crashed = false;
      shop.answerWith((_, response) => {
        if (!crashed) held = response; // never answered: the process dies first
        else response.end('success');
      });
      // A lease of NOTIFY_TIMEOUT + 5 s; the retries reach past it.
      const settings = { NOTIFY_TIMEOUT: '2s', NOTIFY_RETRY_SCHEDULE: '1s,2s,4s,8s' };
      const first = await world.spawn(settings);
      const order = await paidOrder(first.url, 'ATT-CRASH', `${shop.url}/notify`);
      await waitFor(() => held, { what: 'the first request to reach the merchant', timeoutMs: 20_000 });
      const [unknown] = await deliveriesOf(first.url, order.id);
      expect(unknown).toMatchObject({ attempt: 1, delivered: null, error: 'outcome unknown' });

      const exited = new Promise((resolve) => first.process.once('exit', resolve));
      first.process.kill('SIGKILL');
      await exited;
      crashed = true;
      const [row] = await world.query(`SELECT delivered, http_status, duration_ms FROM deliveries WHERE id = $1`, [unknown.id]);
      expect(row).toEqual({ delivered: null, http_status: null, duration_ms: null });

      const second = await world.spawn(settings);
      try {
        await notificationReaches(second.url, order.id, 'DELIVERED');
        const requests = shop.forOrder(order.id);
        expect(requests.length).toBeGreaterThanOrEqual(2);
        expect(new Set(requests.map((request) => request.headers['webhook-id'])).size).toBe(1);
        const deliveries: DeliveryRow[] = await deliveriesOf(second.url, order.id);
        expect(deliveries[0]).toEqual(unknown);
        expect(deliveries.at(-1)).toMatchObject({ delivered: true, httpStatus: 200, error: null, responseSnippet: 'success' });
        expect(deliveries).toHaveLength(requests.length);
        // The second request went out only once the dead attempt's lease had run out: by the
        // delivery log, whose attempted_at is the same now() the lease (NOTIFY_TIMEOUT 2 s + 5 s)
        // was counted from, so the bound is exact but for 1 ms of float rounding, whatever the load.
        const [dead, next] = await attemptLog(world, order.id);
        expect(next.startedAt - dead.startedAt).toBeGreaterThanOrEqual(2_000 + 5_000 - 1);
      } finally {
        second.process.kill('SIGTERM');
        await waitFor(() => second.process.exitCode !== null || second.process.signalCode !== null, {
          what: 'the second process to stop',
          timeoutMs: 20_000,
        });
      }
    });
  });
});
