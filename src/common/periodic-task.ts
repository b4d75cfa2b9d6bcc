import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';

/**
 * Runs `work` every `intervalMs` through @nestjs/schedule's registry, never two runs at
 * once in this process (a slow round must not pile up behind itself), and lets shutdown
 * wait for the round in progress.
 */
export class PeriodicTask {
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly work: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.registry.addInterval(this.name, setInterval(() => this.runNow(), this.intervalMs));
  }

  /** Starts a round unless one is under way; resolves when that round ends. */
  runNow(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.work()
      .then(() => undefined)
      .catch((error: Error) => this.logger.warn(`${this.name} round failed: ${error.message}`))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.registry.doesExist('interval', this.name)) this.registry.deleteInterval(this.name);
    await this.running;
  }
}
