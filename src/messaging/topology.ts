/** Names fixed by SPEC §5–§6; users bind their own queues to them. */
export const ORDER_EVENTS_EXCHANGE = 'order.events';

export const retryQueueName = (queue: string, delay: string) => `${queue}.retry.${delay}`;
export const deadLetterQueueName = (queue: string) => `${queue}.dlq`;
