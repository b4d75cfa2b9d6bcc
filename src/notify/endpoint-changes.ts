import { Injectable, Logger } from '@nestjs/common';
import { Listeners } from '../common/listeners';

/**
 * A change of an endpoint's state, told once: by the one statement that made it, which the
 * endpoint row's lock lets only one process make. `episode` names that change (the attempt
 * that disabled the endpoint, the time its circuit opened), so a listener can tell it apart
 * from the next one of the same kind.
 */
export type EndpointChange =
  | { change: 'disabled'; endpointId: string; origin: string; reason: string; episode: string }
  | { change: 'circuit_opened'; endpointId: string; origin: string; openedAt: Date; episode: string }
  | { change: 'circuit_closed'; endpointId: string; origin: string; openedAt: Date; episode: string };

/** Where other modules hear of endpoint changes (the alerts module sends them to ops) without notify knowing them. */
@Injectable()
export class EndpointChanges extends Listeners<EndpointChange> {
  constructor() {
    super(new Logger(EndpointChanges.name));
  }
}
