import { Module, OnModuleInit } from '@nestjs/common';
import { CompensationModule } from '../compensation/compensation.module';
import { CoordinatorModule } from '../coordinator/coordinator.module';
import { NotifyModule } from '../notify/notify.module';
import { RetentionService } from '../retention/retention.service';
import { AlertChecks } from './alert-checks';
import { AlertSender } from './alert-sender';
import { AlertWatch } from './alert-watch';
import { AlertsRepository } from './alerts.repository';
import { Alerts } from './alerts.service';
import { OpsAlertHandler } from './ops-alert.handler';

/**
 * Ops alerts (docs/operations.md#alerts): signed webhooks to OPS_WEBHOOK_URL when an endpoint
 * is disabled or its circuit opens or closes, a failure group fails for the first time in a
 * while or spikes, or the outbox stalls; once per change of state, through notify's client and
 * delivery log, retried on NOTIFY_RETRY_SCHEDULE. Nothing is raised without OPS_WEBHOOK_URL.
 */
@Module({
  imports: [CoordinatorModule, CompensationModule, NotifyModule],
  providers: [Alerts, AlertsRepository, AlertWatch, AlertChecks, AlertSender, OpsAlertHandler],
})
export class AlertsModule implements OnModuleInit {
  constructor(
    private readonly retention: RetentionService,
    private readonly repository: AlertsRepository,
  ) {}

  /**
   * Alerts sent (and conditions over) are history: kept for HISTORY_RETENTION. The periodic
   * check prunes failures past OPS_SPIKE_WINDOW itself; this takes what is left when it no
   * longer runs (OPS_WEBHOOK_URL unset since).
   */
  onModuleInit(): void {
    // A few rows a day: each batch may start from the oldest.
    this.retention.register({ name: 'ops_alerts', retention: 'history', pruneBatch: async (olderThanMs, limit) => ({ pruned: await this.repository.pruneSent(olderThanMs, limit) }) });
    this.retention.register({
      name: 'ops_alert_failures',
      retention: 'processed',
      pruneBatch: async (olderThanMs, limit) => ({ pruned: await this.repository.pruneOldFailures(olderThanMs, limit) }),
    });
  }
}
