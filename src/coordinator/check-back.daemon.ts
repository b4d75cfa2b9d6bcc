import { Inject, Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicTask } from '../common/periodic-task';
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

/**
 * Asks the outside about PREPARE rows older than CHECKBACK_AFTER. A row is claimed by
 * pushing its next_attempt_at forward (SKIP LOCKED), which is both the lease while it is
 * asked about and the backoff when the answer is "unknown".
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
    // TypeORM answers an UPDATE … RETURNING with [rows, rowCount].
    const [rows]: [{ id: string; kind: string; check_back_id: string; attempts: number }[], number] = await this.dataSource.query(
      `UPDATE outbox SET attempts = attempts + 1,
              next_attempt_at = now() + GREATEST($4::int, LEAST($3::int, 1000 * power(2, LEAST(attempts, 16))::int)) * interval '1 millisecond'
        WHERE id IN (SELECT id FROM outbox
                      WHERE state = 'PREPARE' AND created_at <= now() - $1 * interval '1 millisecond' AND next_attempt_at <= now()
                      ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id, kind, check_back_id, attempts`,
      // The lease outlasts one gateway query, so no other process asks about the row meanwhile.
      [this.payment.checkBackAfterMs, CLAIM_BATCH, MAX_BACKOFF_MS, this.payment.gatewayTimeoutMs + 1_000],
    );
    await Promise.all(rows.map((row) => this.checkBack(row)));
  }

  private async checkBack(row: { id: string; kind: string; check_back_id: string; attempts: number }): Promise<void> {
    const checker = this.checkers.get(row.kind);
    if (!checker) return;
    let verdict: CheckBackVerdict;
    try {
      verdict = await checker(row.check_back_id, row.id);
    } catch (error) {
      verdict = 'unknown';
      await this.dataSource.query(`UPDATE outbox SET last_error = $2 WHERE id = $1`, [row.id, (error as Error).message]);
    }
    if (verdict === 'dropped') await this.coordinator.drop(row.id);
    if (verdict === 'unknown' && row.attempts >= STUCK_AFTER_ATTEMPTS) {
      this.logger.warn(`${row.kind} ${row.check_back_id} still unknown after ${row.attempts} check-backs`);
    }
  }
}
