import { matchesTopic } from './topic-pattern';

describe('matchesTopic', () => {
  it.each([
    ['order.paid', 'order.paid', true],
    ['order.paid', 'order.created', false],
    ['order.*', 'order.paid', true],
    ['order.*', 'stock.reserved', false],
    ['order.*', 'order.paid.late', false],
    ['*.reserved', 'stock.reserved', true],
    ['#', 'order.paid', true],
    ['order.#', 'order', true],
    ['order.#', 'order.paid.late', true],
    ['#.paid', 'order.paid', true],
    ['#.paid', 'order.created', false],
  ])('%s against %s is %s', (pattern, routingKey, expected) => {
    expect(matchesTopic(pattern, routingKey)).toBe(expected);
  });
});
