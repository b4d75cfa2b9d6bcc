/** The exchange backstop publishes every order event on (a durable topic exchange); anyone may bind a queue to it. */
export const ORDER_EVENTS_EXCHANGE = 'order.events';

/** Where every internal service sends a message it has given up on; backstop records it for its console. */
export const ERRORS_QUEUE = 'backstop.errors';
/** Where a service reports how a re-run of one of its failures went. */
export const RERUN_RESULTS_QUEUE = 'backstop.rerun-results';

export const retryQueueName = (queue: string, delay: string) => `${queue}.retry.${delay}`;
export const deadLetterQueueName = (queue: string) => `${queue}.dlq`;
