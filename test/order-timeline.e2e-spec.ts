import { randomUUID } from 'node:crypto';
import type { OrderTimeline, TimelineEntry } from '../src/ops/console/api-types';
import { expectError } from './support/contract-errors';
import { failedMessage } from './support/failed-messages';
import { http } from './support/http';
import { MerchantServer, MerchantServers } from './support/merchant-server';
import { deliveriesOf, paidOrderTo, payByCallback } from './support/notify-helpers';
import { orderReaches, placeOrder, setStock } from './support/orders';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const timelineOf = async (platform: RunningApp, orderId: string): Promise<OrderTimeline> => {
  const answer = await http(platform.url, 'GET', `/admin/orders/${orderId}/timeline`, { admin: true });
  expect({ status: answer.status, body: answer.status === 200 ? 'ok' : answer.body }).toEqual({ status: 200, body: 'ok' });
  return answer.body;
};

/** The entries of `kind` whose summary matches, in the timeline's order. */
const find = (timeline: OrderTimeline, kind: TimelineEntry['kind'], summary: RegExp) => timeline.entries.filter((entry) => entry.kind === kind && summary.test(entry.summary));

const expectInTimeOrder = (timeline: OrderTimeline) => {
  const times = timeline.entries.map((entry) => Date.parse(entry.at));
  expect(times).toEqual([...times].sort((a, b) => a - b));
};

/** GET /admin/orders/:id/timeline: everything known of one order, each part from the module that keeps it, oldest first. */
describe('the order timeline', () => {
  let world: TestWorld;
  let platform: RunningApp;
  const merchants = new MerchantServers();
  let merchant: MerchantServer;

  beforeAll(async () => {
    world = await TestWorld.create('order_timeline');
    platform = await world.start();
    merchant = await merchants.start();
  });
  afterAll(async () => {
    await platform?.close();
    await merchants.stopAll();
    await world?.destroy();
  });

  it('asks for the admin token, answers 400 for an id that is not a UUID and 404 for an unknown order', async () => {
    expectError(await http(platform.url, 'GET', `/admin/orders/${randomUUID()}/timeline`), 401);
    expectError(await http(platform.url, 'GET', '/admin/orders/not-an-order/timeline', { admin: true }), 400, /uuid/i);
    const unknown = randomUUID();
    const answer = await http(platform.url, 'GET', `/admin/orders/${unknown}/timeline`, { admin: true });
    expectError(answer, 404, new RegExp(`order ${unknown} does not exist`));
    expect(answer.body.code).toBe('ORDER_NOT_FOUND');
  });

  it('tells a paid order whose first notification failed step by step: placed, reserved, paid, told once failed and once delivered', async () => {
    let answered = 0;
    merchant.answerWith((_, response) => (answered++ === 0 ? response.writeHead(500).end('down once') : response.end('success')));
    const order = await paidOrderTo(platform.url, 'TL-A', `${merchant.url}/notify`);
    await waitFor(async () => (await deliveriesOf(platform.url, order.id)).some((row) => row.delivered === true), { what: 'the notification delivered' });
    const [failedAttempt, deliveredAttempt] = await deliveriesOf(platform.url, order.id);

    const timeline = await timelineOf(platform, order.id);
    expect(timeline.order).toMatchObject({ id: order.id, status: 'PAID', merchantId: 'merchant-1', items: [{ sku: 'TL-A', quantity: 1, unitPrice: 500 }], totalAmount: 500, currency: 'CNY' });
    expectInTimeOrder(timeline);
    expect(timeline.entries[0]).toMatchObject({ kind: 'order', summary: 'Order placed for merchant merchant-1: 1 × TL-A, total 5.00 CNY', link: `/orders/${order.id}` });
    expect(find(timeline, 'event', /^order\.created written with the order/)).toHaveLength(1);
    expect(find(timeline, 'handler-run', /^stock\.reserve reserved 1 × TL-A$/)).toHaveLength(1);
    expect(find(timeline, 'event', /^stock\.reserved written/)).toHaveLength(1);
    expect(find(timeline, 'order', /^Order PAID$/)).toHaveLength(1);
    expect(find(timeline, 'payment', new RegExp(`^Paid: trade no T-${order.id.slice(0, 8)}, 5.00 CNY$`))).toHaveLength(1);
    // The outcome's event by the id the merchant received it under.
    const [paidEvent] = find(timeline, 'event', /^order\.paid written with the change/);
    expect(paidEvent.detail).toEqual({ type: 'order.paid', eventId: failedAttempt.eventId });
    const [taken] = find(timeline, 'handler-run', /^notify\.merchant took order\.paid: notification DELIVERED after 2 attempts$/);
    expect(taken).toMatchObject({ detail: { eventId: failedAttempt.eventId, state: 'DELIVERED', attempts: 2 }, link: `/admin/deliveries?orderId=${order.id}` });

    const attempts = timeline.entries.filter((entry) => entry.kind === 'notification-attempt');
    expect(attempts.map((entry) => entry.summary)).toEqual([
      `Attempt 1 of order.paid to ${merchant.url}: failed: HTTP 500 (HTTP 500, ${failedAttempt.durationMs} ms)`,
      `Attempt 2 of order.paid to ${merchant.url}: delivered (HTTP 200, ${deliveredAttempt.durationMs} ms)`,
    ]);
    expect(attempts[0]).toMatchObject({
      at: failedAttempt.attemptedAt,
      detail: { attempt: 1, httpStatus: 500, delivered: false, responseSnippet: 'down once', url: `${merchant.url}/notify`, endpoint: failedAttempt.endpoint },
      link: `/admin/endpoints/${failedAttempt.endpoint}`,
    });
    expect(attempts[1]).toMatchObject({ at: deliveredAttempt.attemptedAt, detail: { attempt: 2, httpStatus: 200, delivered: true, responseSnippet: 'success' } });
    // Nothing failed for good, nobody acted on it.
    expect(timeline.entries.filter((entry) => entry.kind === 'failure' || entry.kind === 'ops-action')).toEqual([]);
    expect(timeline.omitted).toEqual([]);
  });

  it('shows a failure, the operator who re-ran it, its re-run succeeding and a resend, by name', async () => {
    merchant.answerWith((_, response) => response.writeHead(503).end('maintenance'));
    const order = await paidOrderTo(platform.url, 'TL-B', `${merchant.url}/notify`);
    const failure = await waitFor(async () => {
      const answer = await http(platform.url, 'GET', `/admin/failed-messages?orderId=${order.id}`, { admin: true });
      return answer.body.items?.[0]?.status === 'FAILED' ? (answer.body.items[0] as { id: string; messageId: string }) : undefined;
    }, { what: 'the notification to fail for good' });
    merchant.answerWith((_, response) => response.end('success'));
    expect((await http(platform.url, 'POST', `/admin/failed-messages/${failure.id}/retry`, { admin: true })).status).toBe(202);
    await waitFor(async () => (await failedMessage(platform.url, failure.id)).status === 'RESOLVED', { what: 'the re-run to succeed' });
    const resend = await http(platform.url, 'POST', `/admin/notifications/${failure.messageId}/resend`, { admin: true });
    expect(resend.body).toMatchObject({ delivered: true });

    const timeline = await timelineOf(platform, order.id);
    expectInTimeOrder(timeline);
    const [gaveUp] = find(timeline, 'failure', /^notify\.merchant gave up on order\.paid after 4 attempts: /);
    expect(gaveUp).toMatchObject({ link: `/admin/failed-messages/${failure.id}`, detail: { failedMessage: failure.id, messageId: failure.messageId, attempts: 4 } });
    expect(gaveUp.summary).toMatch(/\(now RESOLVED\)$/);
    const [retried] = find(timeline, 'ops-action', /^retry of the notify\.merchant failure by admin$/);
    const [resolved] = find(timeline, 'handler-run', /^notify\.merchant re-run on order\.paid succeeded: RESOLVED$/);
    const [resent] = find(timeline, 'ops-action', /^admin resent the order\.paid notification: delivered$/);
    expect(resent.detail).toMatchObject({ action: 'notification.resend', actor: 'admin', subject: { type: 'notification', id: failure.messageId } });
    for (const entry of [retried, resolved, resent]) expect(entry).toBeDefined();
    const position = (entry: TimelineEntry) => timeline.entries.indexOf(entry);
    expect(position(gaveUp)).toBeLessThan(position(retried));
    expect(position(retried)).toBeLessThan(position(resolved));
    expect(position(resolved)).toBeLessThan(position(resent));
    // Four scheduled attempts that failed, the re-run's that got through, and the resend.
    const attempts = timeline.entries.filter((entry) => entry.kind === 'notification-attempt');
    expect(attempts.map((entry) => entry.detail.delivered)).toEqual([false, false, false, false, true, true]);
    expect(find(timeline, 'handler-run', /^notify\.merchant took order\.paid: notification DELIVERED after 6 attempts$/)).toHaveLength(1);
  });
});

describe('the order timeline of a cancelled order', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let merchant: MerchantServer;

  beforeAll(async () => {
    world = await TestWorld.create('order_timeline_cancelled');
    merchant = await MerchantServer.start();
    platform = await world.start({ ORDER_PAYMENT_TIMEOUT: '1s' });
  });
  afterAll(async () => {
    await platform?.close();
    await merchant?.stop();
    await world?.destroy();
  });

  it('shows the cancellation, the stock given back and a payment that came too late, to refund', async () => {
    await setStock(platform.url, 'TL-C', 10, 250);
    const placed = await placeOrder(platform.url, [{ sku: 'TL-C', quantity: 2 }], `${merchant.url}/notify`);
    await orderReaches(platform.url, placed.id, ['CANCELLED'], 30_000);
    await payByCallback(platform.url, placed, 'T-LATE');
    const timeline = await waitFor(async () => {
      const read = await timelineOf(platform, placed.id);
      return find(read, 'handler-run', /^stock\.release gave back/).length > 0 && read;
    }, { what: 'the stock to be released' });

    expectInTimeOrder(timeline);
    expect(timeline.order).toMatchObject({ status: 'CANCELLED', reason: expect.stringMatching(/timeout/) });
    expect(find(timeline, 'order', /^Order CANCELLED: .*timeout/)).toHaveLength(1);
    expect(find(timeline, 'event', /^order\.cancelled written with the change/)).toHaveLength(1);
    expect(find(timeline, 'handler-run', /^stock\.release gave back 2 × TL-C$/)).toHaveLength(1);
    const [incident] = find(timeline, 'payment', /^Payment for a CANCELLED order \(callback\), trade no T-LATE, 5\.00 CNY: refund it through the provider$/);
    expect(incident).toMatchObject({ link: '/admin/payment-incidents', detail: { tradeNo: 'T-LATE', amount: 500, orderStatus: 'CANCELLED', source: 'callback' } });
    // Never paid: no "Paid" entry.
    expect(find(timeline, 'payment', /^Paid/)).toEqual([]);
  });
});
