import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Metrics } from '../metrics/metrics.service';
import { gaugeSeries, mayWaitHere, NAMED_ENDPOINTS } from './in-flight-limits';

/**
 * This process's notification attempts under way, by endpoint origin: for the
 * `backstop_endpoint_in_flight` gauge, and for a notification that found its endpoint
 * busy to wait for one of them to end.
 */
@Injectable()
export class InFlightRequests {
  private readonly byOrigin = new Map<string, number>();

  constructor(metrics: Metrics) {
    const byOrigin = this.byOrigin;
    new Gauge({
      name: 'backstop_endpoint_in_flight',
      help: `Notification attempts under way in this process, for the ${NAMED_ENDPOINTS} busiest endpoints by origin and the rest as "other"`,
      labelNames: ['endpoint'] as const,
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const { endpoint, count } of gaugeSeries(byOrigin)) this.set({ endpoint }, count);
      },
    });
  }

  private readonly waiting = new Map<string, (() => void)[]>();

  /** Runs one attempt at `origin`, from its claim to its recorded outcome (when its endpoint slot is free again). */
  async during<T>(origin: string, attempt: () => Promise<T>): Promise<T> {
    this.byOrigin.set(origin, (this.byOrigin.get(origin) ?? 0) + 1);
    try {
      return await attempt();
    } finally {
      const left = this.byOrigin.get(origin)! - 1;
      if (left === 0) this.byOrigin.delete(origin);
      else this.byOrigin.set(origin, left);
      this.waiting.get(origin)?.shift()?.();
    }
  }

  /**
   * Waits for an attempt of this process at `origin` to end, which frees one of the endpoint's
   * slots: true when one did within `withinMs`. False at once when this process has none under
   * way (the slots are other processes', and nothing here would say when they free up) or
   * `most` wait for it already. So a notification waits here only behind attempts it can see
   * finish, a few per endpoint and briefly; past that it waits on the broker instead (G9).
   */
  turnAt(origin: string, most: number, withinMs: number): Promise<boolean> {
    const queue = this.waiting.get(origin) ?? [];
    if (!mayWaitHere(this.byOrigin.get(origin) ?? 0, queue.length, most)) return Promise.resolve(false);
    this.waiting.set(origin, queue);
    return new Promise((resolve) => {
      const woken = () => {
        clearTimeout(timer);
        if (queue.length === 0) this.waiting.delete(origin);
        resolve(true);
      };
      const timer = setTimeout(() => {
        queue.splice(queue.indexOf(woken), 1);
        if (queue.length === 0) this.waiting.delete(origin);
        resolve(false);
      }, withinMs);
      queue.push(woken);
    });
  }
}
