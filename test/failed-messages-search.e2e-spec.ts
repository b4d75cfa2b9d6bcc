import { randomUUID } from 'node:crypto';
import { FailureRecorder } from '../src/compensation/failed-messages/failure-recorder';
import { expectError } from './support/contract-errors';
import { FailedMessageView } from './support/failed-messages';
import { http } from './support/http';
import { RunningApp, TestWorld } from './support/test-world';

/** A failure as a handler records it, first failed at `at`. */
interface Seeded {
  id: string;
  messageId: string;
  orderId: string;
  error: string;
  at: Date;
}

describe('failed messages: search by part of an id or of the error, and by time', () => {
  let world: TestWorld;
  let platform: RunningApp;
  const seeded: Seeded[] = [];
  const base = Date.parse('2026-03-01T00:00:00Z');

  beforeAll(async () => {
    world = await TestWorld.create('failed_search');
    platform = await world.start({ SWEEP_SCHEDULE: '1h', SWEEP_INTERVAL: '1m' });
    const recorder = platform.app.get(FailureRecorder);
    const errors = [
      'DeliveryFailedError: HTTP 500',
      'DeliveryFailedError: HTTP 503',
      'DeliveryFailedError: no answer within 10000 ms',
      'PointsError: 100% of the budget used_up',
    ];
    // One a day, recorded by the platform's own recorder (it fills order_id and the group), then dated.
    for (let day = 0; day < 8; day += 1) {
      const orderId = randomUUID();
      const messageId = randomUUID();
      const error = errors[day % errors.length];
      await recorder.record({
        handler: day % 2 === 0 ? 'search.alpha' : 'search.beta',
        messageId,
        routingKey: 'order.paid',
        payload: JSON.stringify({ id: messageId, type: 'order.paid', data: { orderId } }),
        headers: {},
        attempts: 3,
        errors: [{ attempt: 3, at: new Date().toISOString(), error }],
        error: `${error}\n    at deliver (notify.service.js:1:1)`,
        poison: false,
      });
      const at = new Date(base + day * 86_400_000);
      const [{ id }] = await world.query<{ id: string }>(
        `UPDATE failed_messages SET first_failed_at = $2, last_failed_at = $2, next_sweep_at = NULL WHERE message_id = $1 RETURNING id`,
        [messageId, at],
      );
      seeded.push({ id, messageId, orderId, error, at });
    }
  });
  afterAll(() => world.destroy());

  const ids = async (query: string): Promise<string[]> => {
    const answer = await http(platform.url, 'GET', `/admin/failed-messages?${query}`, { admin: true });
    expect({ query, status: answer.status, text: answer.status === 200 ? '' : answer.text }).toEqual({ query, status: 200, text: '' });
    return (answer.body.items as FailedMessageView[]).map((row) => row.id);
  };
  const idsWhere = (keep: (row: Seeded) => boolean) => seeded.filter(keep).sort((a, b) => b.at.getTime() - a.at.getTime()).map((row) => row.id);

  it('finds an order or a message by the first characters of its id, or by a part of it, in any case', async () => {
    const target = seeded[5];
    expect(await ids(`q=${target.orderId.slice(0, 8)}`)).toEqual([target.id]);
    expect(await ids(`q=${target.orderId.slice(0, 8).toUpperCase()}`)).toEqual([target.id]);
    expect(await ids(`q=${target.orderId.slice(9, 23)}`)).toEqual([target.id]);
    expect(await ids(`q=${target.messageId.slice(0, 8)}`)).toEqual([target.id]);
    expect(await ids(`q=${target.messageId.slice(-12)}`)).toEqual([target.id]);
    // Whole, as before: a message id, an order id, a routing key.
    expect(await ids(`q=${target.messageId}`)).toEqual([target.id]);
    expect(await ids(`q=${target.orderId}`)).toEqual([target.id]);
    expect(await ids('q=order.paid')).toEqual(idsWhere(() => true));
  });

  it('finds failures by a part of their error', async () => {
    expect(await ids(`q=${encodeURIComponent('HTTP 500')}`)).toEqual(idsWhere((row) => row.error.endsWith('HTTP 500')));
    expect(await ids(`q=${encodeURIComponent('http 50')}`)).toEqual(idsWhere((row) => /HTTP 50/.test(row.error)));
    expect(await ids('q=no%20answer%20within')).toEqual(idsWhere((row) => row.error.includes('no answer')));
    // The kind and message, not the stack summary under them.
    expect(await ids('q=DeliveryFailedError')).toEqual(idsWhere((row) => row.error.startsWith('DeliveryFailedError')));
    expect(await ids('q=notify.service.js')).toEqual([]);
    // % and _ are characters searched for, not wildcards.
    expect(await ids(`q=${encodeURIComponent('100%')}`)).toEqual(idsWhere((row) => row.error.includes('100%')));
    expect(await ids(`q=${encodeURIComponent('HTTP_5')}`)).toEqual([]);
    expect(await ids(`q=${encodeURIComponent('used_up')}`)).toEqual(idsWhere((row) => row.error.includes('used_up')));
    expect(await ids(`q=${encodeURIComponent('%%%')}`)).toEqual([]);
    // Under 3 characters only a whole value matches: a part that short would read every row.
    expect(await ids('q=50')).toEqual([]);
    // Together with the other filters.
    expect(await ids(`q=${encodeURIComponent('HTTP 50')}&handler=search.alpha`)).toEqual(idsWhere((row) => /HTTP 50/.test(row.error) && seeded.indexOf(row) % 2 === 0));
  });

  it('bounds the listing by first failure with from (inclusive) and to (exclusive), paged as before', async () => {
    const from = seeded[2].at.toISOString();
    const to = seeded[6].at.toISOString();
    const inRange = idsWhere((row) => row.at >= seeded[2].at && row.at < seeded[6].at);
    expect(inRange).toHaveLength(4);
    expect(await ids(`from=${from}&to=${to}`)).toEqual(inRange);
    expect(await ids(`from=${from}`)).toEqual(idsWhere((row) => row.at >= seeded[2].at));
    expect(await ids(`to=${to}`)).toEqual(idsWhere((row) => row.at < seeded[6].at));
    // Any offset: the same instant written in another zone.
    expect(await ids(`from=${encodeURIComponent('2026-03-03T08:00:00+08:00')}&to=${to}`)).toEqual(inRange);
    expect(await ids(`from=${from}&to=${to}&handler=search.beta&q=${encodeURIComponent('HTTP 50')}`)).toEqual(
      idsWhere((row) => row.at >= seeded[2].at && row.at < seeded[6].at && seeded.indexOf(row) % 2 === 1 && /HTTP 50/.test(row.error)),
    );

    const first = await http(platform.url, 'GET', `/admin/failed-messages?from=${from}&to=${to}&limit=3`, { admin: true });
    expect(first.body.items.map((row: FailedMessageView) => row.id)).toEqual(inRange.slice(0, 3));
    const next = await http(platform.url, 'GET', `/admin/failed-messages?from=${from}&to=${to}&limit=3&cursor=${first.body.nextCursor}`, { admin: true });
    expect({ items: next.body.items.map((row: FailedMessageView) => row.id), nextCursor: next.body.nextCursor }).toEqual({ items: inRange.slice(3), nextCursor: null });
  });

  it('refuses a time that is not one, or a range that ends before it starts', async () => {
    for (const [query, name] of [
      ['from=yesterday', /from/],
      ['from=2026-02-30T00:00:00Z', /from/],
      ['to=2026-03-01T25:00:00Z', /to/],
      ['from=2026-03-01', /from/],
      // Without an offset it would be read in the server's own zone.
      ['to=2026-03-01T00:00:00', /to/],
      ['from=2026-03-05T00:00:00Z&to=2026-03-05T00:00:00Z', /from .* must be before to/],
      ['from=2026-03-06T00:00:00Z&to=2026-03-05T00:00:00Z', /from .* must be before to/],
    ] as const) {
      expectError(await http(platform.url, 'GET', `/admin/failed-messages?${query}`, { admin: true }), 400, name);
    }
  });
});
