import type { EventOf, RetryAdvice, RoutingKey } from '@backstop/transport';
import { SetMetadata } from '@nestjs/common';
import type { EventTransaction } from '../../coordinator/event-transaction';
import type { Bound } from '../../database/sql';

export const EVENT_HANDLER = Symbol('backstop:event-handler');

export type { RetryAdvice };

export interface EventHandlerOptions<K extends RoutingKey = RoutingKey> {
  /** The handler's own queue; also its name in failure records and metrics. */
  queue: string;
  routingKeys: K[];
  /**
   * The retry schedule it retries on, by the name a module defined it under
   * (`HandlerSchedules.define`); by default `handler`, HANDLER_RETRY_SCHEDULE.
   */
  retry?: string;
  /**
   * Deliver each event this long after it was published (a per-handler delay queue sits
   * between the exchange and the handler): the name of a delivery delay a module defined
   * (`HandlerSchedules.defineDelay`), e.g. the unpaid-order timeout.
   */
  deliverAfter?: string;
  /**
   * How long a message whose handler could not start yet (it threw with `notYet`) waits on
   * the broker before it comes back, no attempt counted: the name of a delay a module defined
   * (`HandlerSchedules.defineDelay`); by default the shortest delay of its retry schedule.
   */
  waitOnBroker?: string;
  /** A named consumer channel with its own prefetch (see messaging/consumer-channels.ts); by default the shared one (PREFETCH). */
  channel?: string;
}

/**
 * A message the handler will not act on because it contradicts the database (forged, or
 * naming an order that does not exist): recorded as poison at once, never retried.
 */
export interface Refusal {
  refused: string;
}

export type HandlerOutcome = 'done' | 'skipped' | Refusal;

/**
 * What a thrown error may say of its failure besides `RetryAdvice`: the URL (or origin) it
 * failed against. Its failure record is grouped by that origin (failure groups); an error
 * that does not say is grouped by the first URL of its message, if any.
 */
export interface FailureDetail {
  endpoint?: string;
}

export function refuse(reason: string): Refusal {
  return { refused: reason };
}

export interface HandlerContext {
  messageId: string;
  /** 1 on first delivery; travels in the `x-attempt` header. */
  attempt: number;
  /** How long until the next attempt if this one fails; undefined when this is the last. */
  retryDelayMs?: number;
  /**
   * The delay the next attempt will actually wait when this one fails with a `RetryAdvice`
   * wish of `atLeastMs`: a tier of the schedule at or past it; undefined when this is the last.
   */
  retryDelayAtLeast(atLeastMs: number): number | undefined;
  /**
   * Runs `work` at most once per handler and message: the effect commits with the record of
   * it. `readsAhead` go with the transaction's BEGIN, after the record, and the same reads
   * in `work` are answered from there: a round trip each fewer. Only reads whose answer
   * nothing `work` does before them can change.
   */
  once(work: (transaction: EventTransaction) => Promise<HandlerOutcome | void>, readsAhead?: Bound[]): Promise<HandlerOutcome>;
}

export type EventHandlerMethod<K extends RoutingKey> = (event: EventOf<K>, context: HandlerContext) => Promise<HandlerOutcome>;

/**
 * Declares a handler: its queue, the routing keys bound to it and its retry schedule.
 * An error it throws may carry `RetryAdvice` (`retryAfterMs`, `final`, `notYet`) and `FailureDetail` (`endpoint`).
 * The compensation module finds every such method at start, declares its topology and
 * subscribes it through golevelup's subscriber machinery (the same path `@RabbitSubscribe`
 * takes), wrapped in validation, idempotency, retries and failure records.
 */
export function EventHandler<K extends RoutingKey>(options: EventHandlerOptions<K>) {
  return (target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<EventHandlerMethod<K>>) => {
    SetMetadata(EVENT_HANDLER, options)(target, key, descriptor);
  };
}
