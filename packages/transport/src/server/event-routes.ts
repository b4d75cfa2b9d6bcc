import type { MessageHandler } from '@nestjs/microservices';
import { ROUTING_KEYS } from '../events/event-map';
import { matchesTopic } from './topic-pattern';

export interface EventRoute {
  pattern: string;
  handler: MessageHandler;
  matches(routingKey: string): boolean;
}

const TOPIC_PATTERN = /^([a-z0-9-]+|\*|#)(\.([a-z0-9-]+|\*|#))*$/;

/**
 * The service's `@EventPattern` handlers as routes, checked at start: only events (a
 * published event has no one to reply to), topic patterns that match some event of
 * `order.events`, and one handler per event, since all share the service's one queue.
 */
export function eventRoutes(handlers: Map<string, MessageHandler>): EventRoute[] {
  const problems: string[] = [];
  const routes: EventRoute[] = [];
  for (const [pattern, handler] of handlers) {
    if (!handler.isEventHandler) problems.push(`${pattern}: use @EventPattern; events have no one to reply to`);
    else if (handler.next) problems.push(`${pattern}: more than one handler; one queue runs one handler per event`);
    else if (!TOPIC_PATTERN.test(pattern)) problems.push(`${pattern}: not a routing key or topic pattern such as order.paid or order.*`);
    else if (!ROUTING_KEYS.some((key) => matchesTopic(pattern, key))) problems.push(`${pattern}: matches no event of order.events`);
    else routes.push({ pattern, handler, matches: (routingKey) => matchesTopic(pattern, routingKey) });
  }
  for (const key of ROUTING_KEYS) {
    const matching = routes.filter((route) => route.matches(key));
    if (matching.length > 1) problems.push(`${key} is matched by ${matching.map((route) => route.pattern).join(' and ')}; give it one handler`);
  }
  if (handlers.size === 0) problems.push('no @EventPattern handler: the service would consume nothing');
  if (problems.length > 0) throw new Error(`Cannot consume order.events:\n  ${problems.join('\n  ')}`);
  return routes;
}
