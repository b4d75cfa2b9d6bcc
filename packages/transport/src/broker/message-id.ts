import type { Message } from 'amqplib';

/**
 * The id a failure is recorded under: the message's own `messageId`, or, for a message
 * published without one (poison often is), one made up from the time and the delivery
 * tag, so that it still gets a record of its own.
 */
export function messageIdOf(message: Pick<Message, 'properties' | 'fields'>): string {
  const messageId: unknown = message.properties.messageId;
  return typeof messageId === 'string' ? messageId : `no-id:${Date.now()}:${message.fields.deliveryTag}`;
}
