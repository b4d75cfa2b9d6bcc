import type { EventEnvelope } from '@backstop/transport';
import type { EventHandlerOptions, HandlerContext, HandlerOutcome } from './event-handler.decorator';

/** A discovered `@EventHandler` method, bound to its instance, with its resolved schedule. */
export interface RegisteredHandler extends EventHandlerOptions {
  delaysMs: number[];
  /** Set for a delayed handler: how long each event waits before it reaches the handler. */
  deliveryDelayMs?: number;
  /** How long a message that could not start yet waits on the broker (`waitOnBroker`, or the schedule's shortest delay). */
  waitMs: number;
  invoke(event: EventEnvelope, context: HandlerContext): Promise<HandlerOutcome>;
}

/** The delays a handler has a delay queue for: its retry schedule's and its wait delay. */
export function delayQueueDelays(handler: Pick<RegisteredHandler, 'delaysMs' | 'waitMs'>): number[] {
  return [...new Set([...handler.delaysMs, handler.waitMs])];
}
