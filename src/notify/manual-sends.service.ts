import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { AuditTrail } from '../audit/audit-trail';
import { literalHostProblem } from '../common/public-address';
import { notifyConfig } from '../config/notify.config';
import { MerchantDirectory } from '../merchants/merchant-directory';
import { OrderFacts } from '../orders/order-facts';
import { ManualSendsRepository } from './manual-sends.repository';
import { notificationBody, OutcomeType, pingBody } from './notification-body';
import { NotificationSender, timedSend } from './notification-sender';
import { NotifyException } from './notify.exception';

/** How one request sent by hand went: what the delivery log has of it. */
export interface ManualSendAnswer {
  deliveryId: number;
  webhookId: string;
  url: string;
  delivered: boolean;
  status: number | null;
  durationMs: number;
  snippet: string | null;
  error: string | null;
}

/** The lease a resend holds: longer than its one attempt, like a notification's. */
const LEASE_MARGIN_MS = 5_000;

/**
 * What ops send by hand: a merchant's signed test event (`ping`), and a notification sent
 * again (for a merchant whose own records lost it). Both go through the same signing,
 * client, success rule and delivery log as every attempt, and into the audit trail.
 */
@Injectable()
export class ManualSends {
  constructor(
    private readonly repository: ManualSendsRepository,
    private readonly sender: NotificationSender,
    private readonly merchants: MerchantDirectory,
    private readonly orders: OrderFacts,
    private readonly audit: AuditTrail,
    @Inject(notifyConfig.KEY) private readonly config: ConfigType<typeof notifyConfig>,
  ) {}

  /** A `ping` to `url`, or else to the notifyUrl of the merchant's latest order. */
  async ping(merchantId: string, url: string | undefined, actor: string): Promise<ManualSendAnswer> {
    const terms = await this.merchants.terms(merchantId);
    if (!terms) throw NotifyException.merchantNotFound(merchantId);
    const target = url ?? (await this.orders.latestNotifyUrl(merchantId));
    if (!target) throw NotifyException.noTestUrl(merchantId);
    const { origin } = new URL(target);
    if (terms.notifyOrigins && !terms.notifyOrigins.includes(origin)) {
      throw NotifyException.urlRefused(`is not on one of the merchant's notifyOrigins (${terms.notifyOrigins.join(', ')})`);
    }
    const problem = this.config.allowPrivate ? undefined : literalHostProblem(new URL(target));
    if (problem) throw NotifyException.urlRefused(`is refused: ${problem}`);
    const webhookId = randomUUID();
    const answer = await this.attempt({ webhookId, orderId: null, attempt: 1, url: target, merchantId, body: pingBody(webhookId, merchantId, new Date()) });
    await this.audit.record({ actor, action: 'merchant.test', subject: { type: 'merchant', id: merchantId }, detail: summaryOf(answer) });
    return answer;
  }

  /** The notification `eventId` again, delivered or failed before, as one more attempt under the same `webhook-id`. */
  async resend(eventId: string, actor: string): Promise<ManualSendAnswer> {
    const claim = await this.repository.claimForResend(eventId, this.config.timeoutMs + LEASE_MARGIN_MS);
    if (!claim) throw await this.whyNot(eventId);
    let delivered = false;
    try {
      const order = (await this.orders.outcomeOf(claim.order_id))!;
      const answer = await this.attempt({
        webhookId: eventId,
        orderId: order.id,
        attempt: claim.attempts + 1,
        url: order.notifyUrl,
        merchantId: order.merchantId,
        body: notificationBody(eventId, claim.event_type as OutcomeType, order),
      });
      delivered = answer.delivered;
      await this.audit.record({ actor, action: 'notification.resend', subject: { type: 'notification', id: eventId }, detail: { orderId: order.id, ...summaryOf(answer) } });
      return answer;
    } finally {
      await this.repository.recordResend(eventId, delivered);
    }
  }

  private async attempt(send: { webhookId: string; orderId: string | null; attempt: number; url: string; merchantId: string; body: object }): Promise<ManualSendAnswer> {
    const endpoint = await this.repository.endpointOf(new URL(send.url).origin);
    const delivery = await this.repository.logAttempt({ eventId: send.webhookId, orderId: send.orderId, attempt: send.attempt, url: send.url, endpointId: endpoint.id });
    const outcome = await timedSend(() =>
      this.sender.send({ url: send.url, webhookId: send.webhookId, body: send.body, merchantId: send.merchantId, endpointRule: endpoint.successRule }),
    );
    await this.repository.completeAttempt(delivery, outcome);
    const { httpStatus: status, durationMs, delivered, error, snippet } = outcome;
    return { deliveryId: Number(delivery.id), webhookId: send.webhookId, url: send.url, delivered, status, durationMs, snippet, error };
  }

  private async whyNot(eventId: string): Promise<NotifyException> {
    const found = await this.repository.stateOf(eventId);
    if (!found) return NotifyException.notificationNotFound(eventId);
    if (found.state === 'PENDING') return NotifyException.notResendable(eventId, 'it is still on its retry schedule');
    if (found.state === 'NOT_SUBSCRIBED') return NotifyException.notResendable(eventId, 'the merchant does not take this event type');
    return NotifyException.notResendable(eventId, 'another attempt of it is in flight');
  }
}

function summaryOf(answer: ManualSendAnswer) {
  return { url: answer.url, webhookId: answer.webhookId, deliveryId: answer.deliveryId, delivered: answer.delivered, status: answer.status, error: answer.error };
}
