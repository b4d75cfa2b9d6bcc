import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { FailureListeners, RecordedFailure } from '../compensation/failed-messages/failure-listeners';
import { alertsConfig } from '../config/alerts.config';
import { EndpointChange, EndpointChanges } from '../notify/endpoint-changes';
import { AlertsRepository } from './alerts.repository';
import { Alerts } from './alerts.service';

/** The handler that sends alerts: its own failures raise none (an alert that says alerts cannot be sent could not be sent either). */
export const OPS_ALERT_HANDLER = 'ops.alert';
/** As much of an error as an alert quotes: its first line, cut. */
const ERROR_LENGTH = 500;

/**
 * What the alerts module listens to, when OPS_WEBHOOK_URL is set: endpoint changes, each
 * raised at once as an alert; and every failure recorded, noted for the periodic check, which
 * raises `message.failed` and `failures.spike` per failure group (AlertChecks).
 */
@Injectable()
export class AlertWatch implements OnModuleInit {
  constructor(
    private readonly alerts: Alerts,
    private readonly repository: AlertsRepository,
    private readonly endpointChanges: EndpointChanges,
    private readonly failures: FailureListeners,
    @Inject(alertsConfig.KEY) private readonly config: ConfigType<typeof alertsConfig>,
  ) {}

  onModuleInit(): void {
    if (!this.config.webhook) return;
    this.endpointChanges.listen((change) => this.endpointChanged(change));
    this.failures.listen((failure) => this.failed(failure));
  }

  private async endpointChanged(change: EndpointChange): Promise<void> {
    const about = { endpointId: change.endpointId, origin: change.origin };
    switch (change.change) {
      case 'disabled':
        await this.alerts.raiseChange('endpoint.disabled', change.endpointId, change.episode, { ...about, reason: change.reason });
        return;
      case 'circuit_opened':
        await this.alerts.raiseChange('endpoint.circuit_opened', change.endpointId, change.episode, { ...about, openedAt: change.openedAt.toISOString() });
        return;
      case 'circuit_closed':
        await this.alerts.raiseChange('endpoint.circuit_closed', change.endpointId, change.episode, { ...about, openedAt: change.openedAt.toISOString() });
        return;
    }
  }

  private async failed(failure: RecordedFailure): Promise<void> {
    if (failure.handler === OPS_ALERT_HANDLER) return;
    await this.repository.noteFailure({
      handler: failure.handler,
      messageId: failure.messageId,
      failureGroup: failure.group.key,
      fingerprint: failure.group.fingerprint,
      endpoint: failure.group.endpoint,
      error: failure.error.split('\n', 1)[0].slice(0, ERROR_LENGTH),
    });
  }
}
