import type { EventMatching, EventOf, KeysMatching, RoutingKey } from './event-map';
import { ROUTING_KEYS } from './event-map';
import { matchesTopic } from '../server/topic-pattern';

/** Compile-time checks: `tsc` fails on a wrong type, so each line below is a test of its own. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const check = <T extends true>(): T => true as T;

check<Equal<KeysMatching<'order.paid'>, 'order.paid'>>();
check<Equal<KeysMatching<'stock.*'>, 'stock.reserved' | 'stock.rejected'>>();
check<Equal<KeysMatching<'order.*'>, 'order.created' | 'order.confirmed' | 'order.rejected' | 'order.paid' | 'order.cancelled'>>();
check<Equal<KeysMatching<'*.rejected'>, 'stock.rejected' | 'order.rejected'>>();
check<Equal<KeysMatching<'#'>, RoutingKey>>();
check<Equal<KeysMatching<'order.#'>, KeysMatching<'order.*'>>>();
check<Equal<KeysMatching<'#.paid'>, 'order.paid'>>();
check<Equal<KeysMatching<'order.paid.late'>, never>>();
check<Equal<KeysMatching<'payment.*'>, never>>();
check<Equal<EventMatching<'stock.*'>, EventOf<'stock.reserved'> | EventOf<'stock.rejected'>>>();

describe('KeysMatching', () => {
  it.each(['order.paid', 'stock.*', 'order.*', '*.rejected', '#', 'order.#', '#.paid'])('%s is what the broker would match', (pattern) => {
    // The runtime twin of the type: the same keys, as the transport routes them.
    const keys: Record<string, RoutingKey[]> = {
      'order.paid': ['order.paid'],
      'stock.*': ['stock.reserved', 'stock.rejected'],
      'order.*': ['order.created', 'order.confirmed', 'order.rejected', 'order.paid', 'order.cancelled'],
      '*.rejected': ['stock.rejected', 'order.rejected'],
      '#': [...ROUTING_KEYS],
      'order.#': ['order.created', 'order.confirmed', 'order.rejected', 'order.paid', 'order.cancelled'],
      '#.paid': ['order.paid'],
    };
    expect(ROUTING_KEYS.filter((key) => matchesTopic(pattern, key)).sort()).toEqual([...keys[pattern]].sort());
  });

  it('narrows a handler of several events by their type', () => {
    const amountOf = (event: EventMatching<'order.*'>): number | undefined => (event.type === 'order.paid' ? event.data.amount : undefined);
    expect(amountOf({ id: 'x', type: 'order.paid', occurredAt: '', data: { orderId: 'o', tradeNo: 't', amount: 500, currency: 'CNY', paidAt: '' } })).toBe(500);
  });
});
