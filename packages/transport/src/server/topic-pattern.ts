/**
 * Whether a topic pattern (`order.*`, `order.#`) matches a routing key, as RabbitMQ's
 * topic exchange decides it: `*` is one word, `#` is zero or more.
 */
export function matchesTopic(pattern: string, routingKey: string): boolean {
  return matchWords(pattern.split('.'), routingKey.split('.'));
}

function matchWords(pattern: string[], words: string[]): boolean {
  if (pattern.length === 0) return words.length === 0;
  const [head, ...rest] = pattern;
  if (head === '#') return words.some((_, index) => matchWords(rest, words.slice(index))) || matchWords(rest, []);
  if (words.length === 0) return false;
  return (head === '*' || head === words[0]) && matchWords(rest, words.slice(1));
}
