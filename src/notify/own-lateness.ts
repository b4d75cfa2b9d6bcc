import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** The sampling timer's period: each sample is this plus how late the loop ran it. */
const RESOLUTION_MS = 10;
const WINDOW_MS = 1_000;

/**
 * How late this process's own event loop has run lately (p99 over the last second). An
 * answer is timed from the moment its callback runs, so a busy process sees every merchant
 * that much slower: the adaptive limit allows for it rather than take slots from a merchant
 * for our own load. Node's loop-delay histogram does the sampling.
 */
@Injectable()
export class OwnLateness implements OnModuleInit, OnModuleDestroy {
  private readonly histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private timer?: NodeJS.Timeout;
  private lastMs = 0;

  onModuleInit(): void {
    this.histogram.enable();
    this.timer = setInterval(() => this.roll(), WINDOW_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  /** The loop's p99 lateness over the last whole window, in ms. */
  get recentMs(): number {
    return this.lastMs;
  }

  private roll(): void {
    // Before its first sample the histogram answers 0; a sample is never under the period.
    this.lastMs = this.histogram.count > 0 ? Math.max(0, this.histogram.percentile(99) / 1e6 - RESOLUTION_MS) : 0;
    this.histogram.reset();
  }
}
