import type { Message } from 'amqplib';
import { BaseRpcContext } from '@nestjs/microservices';

export interface Delivery {
  /** The service's own queue; also its name in failure records and in `processed_messages`. */
  queue: string;
  /** The envelope's id. */
  eventId: string;
  /** 1 on first delivery (the `x-attempt` header). */
  attempt: number;
  /** On a re-run from the console: the failed message it re-runs. */
  rerunOf?: string;
}

/** What `@Ctx()` gives a handler of the backstop transport. */
export class BackstopContext extends BaseRpcContext<[Message, Delivery]> {
  getMessage(): Message {
    return this.args[0];
  }

  getQueue(): string {
    return this.args[1].queue;
  }

  getEventId(): string {
    return this.args[1].eventId;
  }

  getAttempt(): number {
    return this.args[1].attempt;
  }

  isRerun(): boolean {
    return this.args[1].rerunOf !== undefined;
  }
}
