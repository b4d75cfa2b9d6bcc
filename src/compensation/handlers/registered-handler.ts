import type { EventEnvelope } from '@backstop/transport';
import type { EventHandlerOptions, HandlerContext, HandlerOutcome } from './event-handler.decorator';

/** A discovered `@EventHandler` method, bound to its instance, with its resolved schedule. */
export interface RegisteredHandler extends EventHandlerOptions {
  delaysMs: number[];
  /** Set for a delayed handler: how long each event waits before it reaches the handler. */
  deliveryDelayMs?: number;
  invoke(event: EventEnvelope, context: HandlerContext): Promise<HandlerOutcome>;
}
