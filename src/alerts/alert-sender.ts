import type { OpsAlertData } from '@backstop/transport';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { refuse, type FailureDetail, type HandlerOutcome, type RetryAdvice } from '../compensation/handlers/event-handler.decorator';
import { alertsConfig } from '../config/alerts.config';
import { notifyConfig } from '../config/notify.config';
import { OwnReceiverSends } from '../notify/own-receiver-sends';
import { AlertsRepository } from './alerts.repository';

/** Longer than any one attempt (cut at NOTIFY_TIMEOUT), as a notification's lease is. */
const LEASE_MARGIN_MS = 5_000;

/** An attempt that did not get a 2xx: the handler's schedule tries again. */
export class AlertNotDeliveredError extends Error implements FailureDetail {
  readonly name = 'AlertNotDeliveredError';

  constructor(
    reason: string,
    readonly endpoint?: string,
  ) {
    super(`ops alert not delivered: ${reason}`);
  }
}

/** Another attempt of the alert holds its lease: waiting for it is no attempt. */
export class AlertLeasedError extends Error implements RetryAdvice {
  readonly name = 'AlertLeasedError';
  readonly notYet = true;

  constructor(alertId: string) {
    super(`alert ${alertId} is being sent by another attempt`);
  }
}

/** What an ops alert's receiver gets: a Standard Webhooks payload, as a merchant's test event. */
export function webhookBody(alert: OpsAlertData) {
  return { id: alert.alertId, type: alert.kind, occurredAt: alert.raisedAt, data: alert.details };
}

/**
 * One attempt to send an alert to OPS_WEBHOOK_URL, signed with OPS_WEBHOOK_SECRET, through
 * notify's client and delivery log, one attempt at a time (a lease on the alert's row), and
 * never again once delivered: a copy of its event, or the attempt made before the event
 * arrived, finds it delivered and sends nothing.
 */
@Injectable()
export class AlertSender {
  constructor(
    private readonly repository: AlertsRepository,
    private readonly sends: OwnReceiverSends,
    @Inject(alertsConfig.KEY) private readonly config: ConfigType<typeof alertsConfig>,
    @Inject(notifyConfig.KEY) private readonly notify: ConfigType<typeof notifyConfig>,
  ) {}

  async send(alert: OpsAlertData): Promise<HandlerOutcome> {
    const webhook = this.config.webhook;
    // A process without OPS_WEBHOOK_URL raises no alerts; one raised by another process waits for one that can send it.
    if (!webhook) throw new AlertNotDeliveredError('OPS_WEBHOOK_URL is not set in this process');
    const claim = await this.repository.claimSend(alert.alertId, this.notify.timeoutMs + LEASE_MARGIN_MS);
    if (claim === 'missing') return refuse(`ops alert ${alert.alertId} was never raised`);
    if (claim === 'delivered') return 'skipped';
    if (claim === 'leased') throw new AlertLeasedError(alert.alertId);
    let delivered = false;
    try {
      const outcome = await this.sends.send({ url: webhook.url, webhookId: alert.alertId, attempt: claim, body: webhookBody(alert), signingKey: webhook.signingKey });
      delivered = outcome.delivered;
      if (!delivered) throw new AlertNotDeliveredError(outcome.error ?? 'no answer', webhook.url);
      return 'done';
    } finally {
      await this.repository.recordSend(alert.alertId, delivered);
    }
  }
}
