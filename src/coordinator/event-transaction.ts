import { EntityManager } from 'typeorm';
import { createEnvelope } from '../messaging/envelope';
import { EventEnvelope, EventMap, RoutingKey } from '../messaging/event-map';
import { OutboxMessage } from './outbox-message.entity';

/**
 * A database transaction that can also emit events: each `emit` writes a READY outbox
 * row with the state change that causes it; the coordinator publishes after commit.
 */
export class EventTransaction {
  readonly emitted: string[] = [];

  constructor(readonly manager: EntityManager) {}

  async emit<K extends RoutingKey>(type: K, data: EventMap[K]): Promise<EventEnvelope<K>> {
    const envelope = createEnvelope(type, data);
    await this.manager.insert(OutboxMessage, {
      id: envelope.id,
      state: 'READY',
      routingKey: type,
      envelope,
    });
    this.emitted.push(envelope.id);
    return envelope;
  }
}
