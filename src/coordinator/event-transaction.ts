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
  /** A PREPARE row this transaction settles: the next event emitted turns it READY. */
  private fulfilling?: string;

  constructor(readonly manager: EntityManager) {}

  /**
   * Settles a PREPARE row (SPEC §7): the next event this transaction emits is written
   * into it, turning it READY; if none is emitted, the row is dropped at commit.
   */
  fulfil(preparedId: string): void {
    this.fulfilling = preparedId;
  }

  async emit<K extends RoutingKey>(type: K, data: EventMap[K]): Promise<EventEnvelope<K>> {
    const prepared = this.fulfilling;
    this.fulfilling = undefined;
    if (prepared) {
      const envelope = { ...createEnvelope(type, data), id: prepared };
      const turned = await this.manager.update(
        OutboxMessage,
        { id: prepared, state: 'PREPARE' },
        { state: 'READY', routingKey: type, envelope, attempts: 0, nextAttemptAt: new Date() },
      );
      if (turned.affected) {
        this.emitted.push(prepared);
        return envelope;
      }
    }
    const envelope = createEnvelope(type, data);
    await this.manager.insert(OutboxMessage, { id: envelope.id, state: 'READY', routingKey: type, envelope });
    this.emitted.push(envelope.id);
    return envelope;
  }

  /** Drops a PREPARE row nothing was emitted into (the outcome needed no event). */
  async settle(): Promise<void> {
    if (!this.fulfilling) return;
    await this.manager.delete(OutboxMessage, { id: this.fulfilling, state: 'PREPARE' });
    this.fulfilling = undefined;
  }
}
