import { Injectable } from '@nestjs/common';

/**
 * Whether this process has declared the handlers' queues and bindings on the broker.
 * The outbox publishes only after that: `mandatory` proves only that *some* queue took a
 * message, so an outside queue bound to `order.events` first would otherwise swallow an
 * early event that none of our handlers ever sees.
 */
@Injectable()
export class TopologyReadiness {
  private declared = false;

  markDeclared(): void {
    this.declared = true;
  }

  get ready(): boolean {
    return this.declared;
  }
}
