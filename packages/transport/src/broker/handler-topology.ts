import type { Channel, Options } from 'amqplib';
import { formatDuration } from '../config/duration';
import { deadLetterQueueName, ERRORS_QUEUE, RERUN_RESULTS_QUEUE, retryQueueName } from './topology';

export type QueueType = 'classic' | 'quorum';

function typeArguments(queueType: QueueType): Record<string, unknown> {
  // Quorum queues dead-letter at-least-once only when they refuse, rather than drop, overflow.
  return queueType === 'quorum'
    ? { 'x-queue-type': 'quorum', 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' }
    : { 'x-queue-type': 'classic' };
}

/** The work queue: what is rejected from it lands in `<queue>.dlq`, to be recorded once the database is back. */
export function workQueueOptions(queue: string, queueType: QueueType): Options.AssertQueue {
  return {
    durable: true,
    arguments: {
      ...typeArguments(queueType),
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': deadLetterQueueName(queue),
    },
  };
}

export function deadLetterQueueOptions(queueType: QueueType): Options.AssertQueue {
  return { durable: true, arguments: { 'x-queue-type': queueType } };
}

/**
 * `backstop.errors` and `backstop.rerun-results`, declared alike by backstop and by every
 * service (a queue declared twice must be declared the same), so a report waits in its
 * queue whichever of them starts first, and while backstop is down.
 */
export async function declareCentralQueues(channel: Channel, queueType: QueueType): Promise<void> {
  for (const queue of [ERRORS_QUEUE, RERUN_RESULTS_QUEUE]) await channel.assertQueue(queue, deadLetterQueueOptions(queueType));
}

export function retryQueueNames(queue: string, delaysMs: readonly number[]): Map<number, string> {
  return new Map([...new Set(delaysMs)].map((delayMs) => [delayMs, retryQueueName(queue, formatDuration(delayMs))]));
}

/**
 * Declares a handler's dead-letter queue and one delay queue per delay of its retry
 * schedule. A delay queue's TTL dead-letters back to that handler's work queue alone,
 * through the default exchange, so a retry never reaches another handler bound to the same
 * event and, since every message in a queue has the same TTL, a long delay never holds up
 * a short one.
 */
export async function declareRetryQueues(
  channel: Channel,
  queue: string,
  delaysMs: readonly number[],
  queueType: QueueType,
): Promise<void> {
  await channel.assertQueue(deadLetterQueueName(queue), deadLetterQueueOptions(queueType));
  for (const [delayMs, name] of retryQueueNames(queue, delaysMs)) {
    await channel.assertQueue(name, {
      durable: true,
      arguments: {
        ...typeArguments(queueType),
        'x-message-ttl': delayMs,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': queue,
      },
    });
  }
}

export function deliveryDelayQueueName(queue: string, delayMs: number): string {
  return `${queue}.after.${formatDuration(delayMs)}`;
}

/**
 * For a delayed handler: the queue bound to the exchange in its stead, holding each event
 * for `delayMs` and then dead-lettering it to the handler's queue alone. The delay is in
 * the name, so a changed setting declares a new queue instead of clashing with the old.
 */
export async function declareDeliveryDelayQueue(
  channel: Channel,
  queue: string,
  delayMs: number,
  routingKeys: readonly string[],
  exchange: string,
  queueType: QueueType,
): Promise<void> {
  const name = deliveryDelayQueueName(queue, delayMs);
  await channel.assertQueue(name, {
    durable: true,
    arguments: { ...typeArguments(queueType), 'x-message-ttl': delayMs, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
  });
  for (const routingKey of routingKeys) await channel.bindQueue(name, exchange, routingKey);
}

export interface HandlerTopology {
  queue: string;
  routingKeys: readonly string[];
  delaysMs: readonly number[];
  deliveryDelayMs?: number;
}

/**
 * Everything one handler needs on the broker, declared in order on one channel: its
 * dead-letter queue, its work queue bound to its routing keys (or, for a delayed handler,
 * its delay queue bound in its stead) and its retry delay queues. Every process declares
 * this, API-only ones too, so an event is stored for a handler even before any worker has
 * started.
 */
export async function declareHandlerTopology(channel: Channel, exchange: string, topology: HandlerTopology, queueType: QueueType) {
  const { queue, routingKeys, delaysMs, deliveryDelayMs } = topology;
  await channel.assertExchange(exchange, 'topic', { durable: true });
  await declareRetryQueues(channel, queue, delaysMs, queueType);
  await channel.assertQueue(queue, workQueueOptions(queue, queueType));
  if (deliveryDelayMs === undefined) {
    for (const routingKey of routingKeys) await channel.bindQueue(queue, exchange, routingKey);
  } else {
    await declareDeliveryDelayQueue(channel, queue, deliveryDelayMs, routingKeys, exchange, queueType);
  }
}
