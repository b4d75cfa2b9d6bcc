import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { PeriodicTask } from '../common/periodic-task';
import { appConfig } from '../config/app.config';
import { messagingConfig } from '../config/messaging.config';
import { backoffMs } from '../database/backoff';
import { OutboxRepository, PreparedRow } from './outbox.repository';

/** What the outside says about a PREPARE row: it happened (and was settled), it did not, or no answer yet. */
export type CheckBackVerdict = 'settled' | 'dropped' | 'unknown';

/** How a module that prepares rows of one kind checks them back. */
export interface CheckBack {
  check(checkBackId: string, preparedId: string): Promise<CheckBackVerdict>;
  /** A row is asked about once it is this old: its own answer has had time to come. */
  afterMs: number;
  /** How long one question may take: the row's lease, and the least wait before the next one. */
  timeoutMs: number;
  /** The wait after the first unanswered question; it doubles with each next one, up to a minute. */
  backoffMs: number;
}

const CLAIM_BATCH = 20;
const MAX_BACKOFF_MS = 60_000;
/** Unknown this many times in a row: shown to ops as stuck (GET /admin/outbox). */
export const STUCK_AFTER_ATTEMPTS = 5;

/**
 * Asks the outside about PREPARE rows older than their kind's `afterMs`: claims them with
 * a lease that outlasts one question, asks with no transaction open, and on "unknown"
 * puts the next question off by a backoff.
 */
@Injectable()
export class CheckBackDaemon implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CheckBackDaemon.name);
  private readonly checkBacks = new Map<string, CheckBack>();
  private task?: PeriodicTask;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly registry: SchedulerRegistry,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(messagingConfig.KEY) private readonly messaging: ConfigType<typeof messagingConfig>,
  ) {}

  /** A module that prepares rows of `kind` says how to check them back (before the application starts). */
  register(kind: string, checkBack: CheckBack): void {
    this.checkBacks.set(kind, checkBack);
  }

  onApplicationBootstrap(): void {
    if (!this.app.runsWorker || this.checkBacks.size === 0) return;
    const intervalMs = Math.min(this.messaging.relayIntervalMs, ...[...this.checkBacks.values()].map((checkBack) => checkBack.afterMs));
    this.task = new PeriodicTask(this.registry, 'check-back', intervalMs, () => this.round(), this.logger);
    this.task.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task?.stop();
  }

  async runNow(): Promise<void> {
    await this.task?.runNow();
  }

  private async round(): Promise<void> {
    await Promise.all(
      [...this.checkBacks.entries()].map(async ([kind, checkBack]) => {
        const rows = await this.outbox.claimDuePrepared(kind, checkBack.timeoutMs + 1_000, CLAIM_BATCH, checkBack.afterMs);
        await Promise.all(rows.map((row) => this.checkBack(row, checkBack)));
      }),
    );
  }

  private async checkBack(row: PreparedRow, checkBack: CheckBack): Promise<void> {
    let verdict: CheckBackVerdict;
    let error: string | null = null;
    try {
      verdict = await checkBack.check(row.check_back_id, row.id);
    } catch (failure) {
      verdict = 'unknown';
      error = (failure as Error).message;
    }
    if (verdict === 'dropped') await this.outbox.dropPrepared(row.id);
    if (verdict !== 'unknown') return;
    // Asked again after a backoff, never sooner than a question can take.
    await this.outbox.postpone(row.id, Math.max(checkBack.timeoutMs + 1_000, backoffMs(row.attempts, checkBack.backoffMs, MAX_BACKOFF_MS)), { error });
    if (row.attempts >= STUCK_AFTER_ATTEMPTS) {
      this.logger.warn(`${row.kind} ${row.check_back_id} still unknown after ${row.attempts} check-backs`);
    }
  }
}
