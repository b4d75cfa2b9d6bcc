import type { QueueType } from '../broker/handler-topology';
import { SERVICE_QUEUE } from '../central/error-report';
import { parseSchedule } from '../config/duration';
import { brokerUrlsProblem, parseBrokerUrls } from './broker-urls';

export interface BackstopTransportOptions {
  /**
   * The broker backstop publishes `order.events` on, e.g. `amqp://guest:guest@127.0.0.1:5672`;
   * for a cluster, every node: a comma-separated list or an array (the same as RABBITMQ_URL).
   */
  url: string | readonly string[];
  /** The service's own durable queue, e.g. `loyalty.points`; bound to its `@EventPattern` keys. */
  queue: string;
  /**
   * Delays between attempts, one delay queue each: `1s,5s,30s` (ms, s, m, h, d) or an array of
   * milliseconds. Its length is the number of retries, so `1s,5s,30s` makes 4 attempts in all.
   * Default `1s,5s,30s`.
   */
  retrySchedule?: string | readonly number[];
  /** Unacknowledged deliveries at a time. Default 20. */
  prefetch?: number;
  /** `classic` or `quorum`, the same as backstop's QUEUE_TYPE setting: both declare the central queues, which must be declared alike. Default `classic`. */
  queueType?: QueueType;
}

export interface ResolvedTransportOptions {
  urls: string[];
  queue: string;
  delaysMs: readonly number[];
  prefetch: number;
  queueType: QueueType;
}

/** Checks the options once, at construction, naming every bad one. */
export function resolveTransportOptions(options: BackstopTransportOptions): ResolvedTransportOptions {
  const problems: string[] = [];
  const urlProblem = brokerUrlsProblem(options.url);
  if (urlProblem) problems.push(`url: ${urlProblem}`);
  if (!SERVICE_QUEUE.test(options.queue ?? '')) problems.push('queue must be a name of letters, digits and _ . : - (at most 200), not starting with backstop.');
  let delaysMs: readonly number[] = [];
  try {
    const schedule = options.retrySchedule ?? '1s,5s,30s';
    delaysMs = typeof schedule === 'string' ? parseSchedule(schedule) : schedule;
    if (delaysMs.some((delay) => !Number.isInteger(delay) || delay <= 0)) throw new Error('delays must be whole, positive milliseconds');
  } catch (error) {
    problems.push(`retrySchedule: ${(error as Error).message}`);
  }
  const prefetch = options.prefetch ?? 20;
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 10_000) problems.push('prefetch must be a whole number from 1 to 10000');
  const queueType = options.queueType ?? 'classic';
  if (queueType !== 'classic' && queueType !== 'quorum') problems.push('queueType must be classic or quorum');
  if (problems.length > 0) throw new Error(`Invalid backstop transport options:\n  ${problems.join('\n  ')}`);
  return { urls: parseBrokerUrls(options.url), queue: options.queue, delaysMs, prefetch, queueType };
}
