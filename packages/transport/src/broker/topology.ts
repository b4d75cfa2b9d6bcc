/** Names fixed by SPEC §5–§6 and §11; users bind their own queues to them. */
export const ORDER_EVENTS_EXCHANGE = 'order.events';

/** Where every internal service sends a message it has given up on; backstop records it (SPEC §11). */
export const ERRORS_QUEUE = 'backstop.errors';
/** Where a service reports how a re-run of one of its failures went. */
export const RERUN_RESULTS_QUEUE = 'backstop.rerun-results';

export const retryQueueName = (queue: string, delay: string) => `${queue}.retry.${delay}`;
export const deadLetterQueueName = (queue: string) => `${queue}.dlq`;
