import { Inject, Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicTask } from '../common/periodic-task';
import { backoffMs, Lease } from '../database/lease';
import { appConfig } from '../config/app.config';
import { messagingConfig } from '../config/messaging.config';
import { paymentConfig } from '../config/payment.config';
import { Coordinator } from './coordinator.service';

/** The outside work checked back here: a charge at the payment gateway, keyed by order id. */
export const PAYMENT_CHECK_BACK = 'payment';

/** What the outside says about a PREPARE row: it happened (and was settled), it did not, or no answer yet. */
export type CheckBackVerdict = 'settled' | 'dropped' | 'unknown';
export type CheckBack = (checkBackId: string, preparedId: string) => Promise<CheckBackVerdict>;

const CLAIM_BATCH = 20;
const MAX_BACKOFF_MS = 60_000;
/** Unknown this many times in a row: shown to ops as stuck (GET /admin/outbox). */
export const STUCK_AFTER_ATTEMPTS = 5;

interface PreparedRow {
  id: string;
  kind: string;
  check_back_id: string;
  attempts: number;
}

const preparedRows = new Lease<PreparedRow>({
  name: 'outbox PREPARE rows',
  table: 'outbox',
  key: 'id',
  leaseColumn: 'next_attempt_at',
  due: `state = 'PREPARE' AND created_at <= now() - $3 * interval '1 millisecond' AND next_attempt_at <= now()`,
  orderBy: 'created_at',
  returning: 'id, kind, check_back_id, attempts',
  set: 'attempts = attempts + 1',
});

/**
 * Asks the outside about PREPARE rows older than CHECKBACK_AFTER: claims them with a lease
 * that outlasts one gateway query, asks with no transaction open, and on "unknown" puts the
 * next question off by a backoff.
 */
@Injectable()
export class CheckBackDaemon implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CheckBackDaemon.name);
  private readonly checkers = new Map<string, CheckBack>();
  private readonly task: PeriodicTask;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly coordinator: Coordinator,
    registry: SchedulerRegistry,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(paymentConfig.KEY) private readonly payment: ConfigType<typeof paymentConfig>,
    @Inject(messagingConfig.KEY) messaging: ConfigType<typeof messagingConfig>,
  ) {
    const intervalMs = Math.min(messaging.relayIntervalMs, this.payment.checkBackAfterMs);
    this.task = new PeriodicTask(registry, 'check-back', intervalMs, () => this.round(), this.logger);
  }

  /** A module that prepares rows of `kind` says how to check them back. */
  register(kind: string, checker: CheckBack): void {
    this.checkers.set(kind, checker);
  }

  onApplicationBootstrap(): void {
    if (this.app.runsWorker) this.task.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  runNow(): Promise<void> {
    return this.task.runNow();
  }

  private async round(): Promise<void> {
    // The lease outlasts one gateway query, so no other process asks about the row meanwhile.
    const rows = await preparedRows.claim(this.dataSource, this.payment.gatewayTimeoutMs + 1_000, CLAIM_BATCH, this.payment.checkBackAfterMs);
    await Promise.all(rows.map((row) => this.checkBack(row)));
  }

  private async checkBack(row: PreparedRow): Promise<void> {
    const checker = this.checkers.get(row.kind);
    if (!checker) return;
    let verdict: CheckBackVerdict;
    let error: string | null = null;
    try {
      verdict = await checker(row.check_back_id, row.id);
    } catch (failure) {
      verdict = 'unknown';
      error = (failure as Error).message;
    }
    if (verdict === 'dropped') await this.coordinator.drop(row.id);
    if (verdict !== 'unknown') return;
    // Asked again after a backoff, never sooner than a gateway query can take.
    const waitMs = Math.max(this.payment.gatewayTimeoutMs + 1_000, backoffMs(row.attempts, 2_000, MAX_BACKOFF_MS));
    await this.dataSource.query(
      `UPDATE outbox SET next_attempt_at = now() + $2 * interval '1 millisecond', last_error = coalesce($3, last_error) WHERE id = $1`,
      [row.id, waitMs, error],
    );
    if (row.attempts >= STUCK_AFTER_ATTEMPTS) {
      this.logger.warn(`${row.kind} ${row.check_back_id} still unknown after ${row.attempts} check-backs`);
    }
  }
}
