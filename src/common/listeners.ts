import { Logger } from '@nestjs/common';

/** What a listener is told; it may answer with a promise, which `tell` waits for. */
export type Listener<T> = (value: T) => unknown;

/**
 * A lower module's way to let a higher one hear what happened, without importing it: the
 * higher one adds a listener at start, the lower one tells. A listener's failure is logged
 * and goes no further: what the lower module was doing has happened already, and must not
 * fail for a listener's sake.
 */
export class Listeners<T> {
  private readonly listeners: Listener<T>[] = [];

  constructor(private readonly logger: Logger) {}

  listen(listener: Listener<T>): void {
    this.listeners.push(listener);
  }

  /** Tells every listener in turn, waiting for each; never throws. */
  async tell(value: T): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(value);
      } catch (error) {
        this.logger.warn(`a listener failed: ${(error as Error).message}`);
      }
    }
  }
}
