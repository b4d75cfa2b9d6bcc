import type { Logger } from '@nestjs/common';
import type { OutboxRepository } from './outbox.repository';

const BATCH = 500;
/** Long enough to gather the confirms of a busy moment into one statement, far shorter than a publish lease. */
const WINDOW_MS = 50;

/**
 * Deletes published outbox rows in batches: one statement for all the confirms of a short
 * window instead of one per event. A row whose delete is lost (crash, database down) is
 * published again by the relay once its lease runs out; consumers are idempotent.
 */
export class OutboxDeletes {
  private pending: string[] = [];
  private timer?: NodeJS.Timeout;
  private flushing = Promise.resolve();

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly logger: Logger,
  ) {}

  add(id: string): void {
    this.pending.push(id);
    if (this.pending.length >= BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), WINDOW_MS);
  }

  /** Deletes everything added so far; resolves when it is done. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const ids = this.pending;
    this.pending = [];
    if (ids.length > 0) this.flushing = this.flushing.then(() => this.delete(ids));
    return this.flushing;
  }

  private async delete(ids: string[]): Promise<void> {
    try {
      await this.outbox.deletePublished(ids);
    } catch (error) {
      this.logger.warn(`cannot delete ${ids.length} published outbox rows, the relay will send them again: ${(error as Error).message}`);
    }
  }
}
