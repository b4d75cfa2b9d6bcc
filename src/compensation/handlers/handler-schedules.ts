import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { compensationConfig } from '../../config/compensation.config';

/** The schedule a handler retries on when its `@EventHandler` names none: HANDLER_RETRY_SCHEDULE. */
export const DEFAULT_RETRY_SCHEDULE = 'handler';

/**
 * The retry schedules and delivery delays `@EventHandler`s name, by names the modules that
 * own them define (`retry: 'notify'`, `deliverAfter: 'order-payment-timeout'`), so the
 * compensation machinery turns names into milliseconds without knowing what they are for.
 * A module defines its own in `onModuleInit`, which runs before the handlers are set up:
 *
 *     constructor(private readonly schedules: HandlerSchedules, @Inject(notifyConfig.KEY) private readonly config: ...) {}
 *     onModuleInit() { this.schedules.define('notify', this.config.retryScheduleMs); }
 *
 * `handler` is compensation's own: HANDLER_RETRY_SCHEDULE, the default.
 */
@Injectable()
export class HandlerSchedules {
  private readonly schedules = new Map<string, readonly number[]>();
  private readonly delays = new Map<string, number>();
  private sealedBy?: string;

  constructor(@Inject(compensationConfig.KEY) config: ConfigType<typeof compensationConfig>) {
    this.define(DEFAULT_RETRY_SCHEDULE, config.handlerRetryScheduleMs);
  }

  /** A retry schedule: the delays between attempts, one delay queue each; its length is the number of retries. */
  define(name: string, delaysMs: readonly number[]): void {
    this.checkOpen('retry schedule', name);
    if (this.schedules.has(name)) throw new Error(`the retry schedule "${name}" is defined twice`);
    if (delaysMs.length === 0 || delaysMs.some((delayMs) => !isPositiveWhole(delayMs))) {
      throw new Error(`the retry schedule "${name}" must be one or more whole, positive milliseconds, not [${delaysMs.join(', ')}]`);
    }
    this.schedules.set(name, [...delaysMs]);
  }

  /** A delivery delay: how long after it was published each event reaches a handler that names it. */
  defineDelay(name: string, delayMs: number): void {
    this.checkOpen('delivery delay', name);
    if (this.delays.has(name)) throw new Error(`the delivery delay "${name}" is defined twice`);
    if (!isPositiveWhole(delayMs)) throw new Error(`the delivery delay "${name}" must be whole, positive milliseconds, not ${delayMs}`);
    this.delays.set(name, delayMs);
  }

  /** The delays of a schedule; a name nobody defined is an error that says which are. */
  retrySchedule(name: string = DEFAULT_RETRY_SCHEDULE): number[] {
    const delaysMs = this.schedules.get(name);
    if (!delaysMs) throw new Error(`no retry schedule is named "${name}" (defined: ${listed(this.schedules)})`);
    return [...delaysMs];
  }

  deliveryDelay(name: string): number {
    const delayMs = this.delays.get(name);
    if (delayMs === undefined) throw new Error(`no delivery delay is named "${name}" (defined: ${listed(this.delays)})`);
    return delayMs;
  }

  /** Called once the handlers have read their schedules: a definition after that would change nothing, so it fails. */
  seal(by: string): void {
    this.sealedBy = by;
  }

  private checkOpen(kind: string, name: string): void {
    if (typeof name !== 'string' || name.trim() === '') throw new Error(`a ${kind} needs a name, not ${JSON.stringify(name)}`);
    if (this.sealedBy) {
      throw new Error(`the ${kind} "${name}" is defined after ${this.sealedBy} read them: define it in a module's onModuleInit`);
    }
  }
}

function isPositiveWhole(value: number): boolean {
  return Number.isInteger(value) && value > 0;
}

function listed(names: Map<string, unknown>): string {
  return names.size === 0 ? 'none' : [...names.keys()].map((name) => `"${name}"`).join(', ');
}
