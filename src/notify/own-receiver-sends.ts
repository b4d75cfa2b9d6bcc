import { Injectable } from '@nestjs/common';
import { ManualSendsRepository } from './manual-sends.repository';
import { NotificationSender, timedSend } from './notification-sender';

/** One signed POST to a receiver of the platform's own, as the delivery log has it. */
export interface OwnReceiverSend {
  url: string;
  /** The `webhook-id`, the same on every attempt; the delivery log's `event_id`. */
  webhookId: string;
  /** 1 for the first attempt; the delivery log's `attempt`. */
  attempt: number;
  body: object;
  signingKey: Buffer;
}

export interface OwnReceiverOutcome {
  delivered: boolean;
  status: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * Signed POSTs to the platform's own receivers (the ops alerts of OPS_WEBHOOK_URL): the same
 * signing, client and delivery log as a merchant's notification. Each attempt is logged
 * before its request goes out (order null, endpoint null: no merchant endpoint, no circuit)
 * and completed with its outcome.
 */
@Injectable()
export class OwnReceiverSends {
  constructor(
    private readonly log: ManualSendsRepository,
    private readonly sender: NotificationSender,
  ) {}

  async send(send: OwnReceiverSend): Promise<OwnReceiverOutcome> {
    const delivery = await this.log.logAttempt({ eventId: send.webhookId, orderId: null, attempt: send.attempt, url: send.url, endpointId: null });
    const outcome = await timedSend(() => this.sender.sendToOwnReceiver({ url: send.url, webhookId: send.webhookId, body: send.body, signingKey: send.signingKey }));
    await this.log.completeAttempt(delivery, outcome);
    return { delivered: outcome.delivered, status: outcome.httpStatus, error: outcome.error, durationMs: outcome.durationMs };
  }
}
