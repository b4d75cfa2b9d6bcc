import { FailureSource, orderTimeline, TimelineSources } from './order-timeline';

const ORDER = '11111111-1111-4111-8111-111111111111';
const at = (second: number) => new Date(Date.UTC(2026, 10, 22, 10, 0, second));

function sources(overrides: Partial<TimelineSources> = {}): TimelineSources {
  return {
    now: at(59),
    order: {
      id: ORDER,
      merchantId: 'shop-1',
      status: 'PENDING',
      items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 150 }],
      totalAmount: 300,
      currency: 'CNY',
      notifyUrl: 'https://shop.example/notify',
      reason: null,
      tradeNo: null,
      paidAt: null,
      createdAt: at(0),
    },
    updatedAt: at(0),
    paying: false,
    reservation: null,
    notifications: [],
    attempts: [],
    failures: [],
    incidents: [],
    opsActions: [],
    ...overrides,
  };
}

const failure = (overrides: Partial<FailureSource>): FailureSource => ({
  id: '22222222-2222-4222-8222-222222222222',
  handler: 'stock.reserve',
  messageId: '33333333-3333-4333-8333-333333333333',
  routingKey: 'order.created',
  status: 'FAILED',
  poison: false,
  attempts: 3,
  sweepCount: 0,
  error: 'Error: stock is locked\n    at reserve',
  errors: [
    { attempt: 1, at: at(2).toISOString(), error: 'Error: stock is locked' },
    { attempt: 2, at: at(3).toISOString(), error: 'Error: stock is locked' },
  ],
  firstFailedAt: at(4),
  nextSweepAt: at(40),
  resolvedAt: null,
  discardReason: null,
  actions: [],
  ...overrides,
});

const summaries = (sources: TimelineSources) => orderTimeline(sources).map((entry) => `${entry.kind}: ${entry.summary}`);

describe('orderTimeline', () => {
  it('tells a new order by its placing alone, its amount in the currency\'s own minor units', () => {
    expect(summaries(sources())).toEqual(['order: Order placed for merchant shop-1: 2 × SKU-1, total 3.00 CNY', 'event: order.created written with the order, published after commit']);
    expect(summaries(sources({ order: { ...sources().order, currency: 'JPY' } }))[0]).toBe('order: Order placed for merchant shop-1: 2 × SKU-1, total 300 JPY');
  });

  it('names an event by the id a failed message knows it by, links the failure, and lists failed attempts of handlers other than notify', () => {
    const timeline = orderTimeline(sources({ failures: [failure({ actions: [{ action: 'sweep', actor: 'sweeper', reason: null, at: at(41) }, { action: 'discard', actor: 'alice', reason: 'duplicate order', at: at(50) }] })] }));
    expect(timeline.find((entry) => entry.kind === 'event')).toMatchObject({
      detail: { type: 'order.created', eventId: '33333333-3333-4333-8333-333333333333' },
      link: '/admin/failed-messages/22222222-2222-4222-8222-222222222222',
    });
    expect(timeline.map((entry) => `${entry.at.slice(17, 19)} ${entry.kind}: ${entry.summary}`)).toEqual([
      '00 order: Order placed for merchant shop-1: 2 × SKU-1, total 3.00 CNY',
      '00 event: order.created written with the order, published after commit',
      '02 handler-run: stock.reserve attempt 1 failed: Error: stock is locked',
      '03 handler-run: stock.reserve attempt 2 failed: Error: stock is locked',
      '04 failure: stock.reserve gave up on order.created after 3 attempts: Error: stock is locked (now FAILED)',
      '41 handler-run: The sweeper re-ran stock.reserve on order.created',
      '50 ops-action: discard of the stock.reserve failure by alice: duplicate order',
    ]);
  });

  it('leaves notify.merchant\'s failed attempts to the delivery log, which says more of each', () => {
    const notify = failure({ handler: 'notify.merchant', routingKey: 'order.paid', status: 'RESOLVED', resolvedAt: at(45) });
    expect(summaries(sources({ failures: [notify] })).filter((line) => line.includes('attempt'))).toEqual([
      'failure: notify.merchant gave up on order.paid after 3 attempts: Error: stock is locked (now RESOLVED)',
    ]);
    expect(summaries(sources({ failures: [notify] }))).toContain('handler-run: notify.merchant re-run on order.paid succeeded: RESOLVED');
  });

  it('says poison was refused, not retried', () => {
    expect(summaries(sources({ failures: [failure({ poison: true, attempts: 1, errors: [] })] }))).toContain(
      'failure: stock.reserve refused order.created as poison: Error: stock is locked (now FAILED)',
    );
  });

  it('tells a charge under way as of now, a notification the merchant does not take, and an attempt whose outcome is unknown', () => {
    const order = { ...sources().order, status: 'CONFIRMED' as const };
    const lines = summaries(
      sources({
        order,
        updatedAt: at(5),
        paying: true,
        notifications: [
          { eventId: 'e1', eventType: 'order.rejected', state: 'NOT_SUBSCRIBED', attempts: 0, createdAt: at(6), lastAttemptAt: null, nextAttemptAt: null, deliveredAt: null },
        ],
        attempts: [
          { id: '1', eventId: 'e2', attempt: 1, attemptedAt: at(7), url: 'https://shop.example/notify', endpointId: null, httpStatus: null, durationMs: null, delivered: null, error: null, responseSnippet: null },
        ],
      }),
    );
    expect(lines).toEqual([
      'order: Order placed for merchant shop-1: 2 × SKU-1, total 3.00 CNY',
      'event: order.created written with the order, published after commit',
      'order: Order CONFIRMED',
      'event: order.confirmed written with the change, published after commit',
      'handler-run: notify.merchant took order.rejected: the merchant does not take order.rejected: nothing sent',
      'notification-attempt: Attempt 1 of notification to https://shop.example: outcome unknown',
      'payment: A charge is under way and its outcome is not known yet: the check-back settles it',
    ]);
  });
});
