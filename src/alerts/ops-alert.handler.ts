import type { EventOf } from '@backstop/transport';
import { Injectable } from '@nestjs/common';
import { EventHandler, HandlerContext, HandlerOutcome } from '../compensation/handlers/event-handler.decorator';
import { NOTIFY_CHANNEL } from '../messaging/consumer-channels';
import { AlertSender } from './alert-sender';

/**
 * Sends each ops alert to OPS_WEBHOOK_URL, retried on NOTIFY_RETRY_SCHEDULE until the receiver
 * answers 2xx, then by the sweeper as any failed message. On notify's consumer channel: an ops
 * receiver that hangs holds up merchant calls at most, never the order handlers.
 */
@Injectable()
export class OpsAlertHandler {
  constructor(private readonly sender: AlertSender) {}

  @EventHandler({ queue: 'ops.alert', routingKeys: ['ops.alert'], retry: 'notify', waitOnBroker: 'notify-wait', channel: NOTIFY_CHANNEL })
  handle(event: EventOf<'ops.alert'>, _context: HandlerContext): Promise<HandlerOutcome> {
    return this.sender.send(event.data);
  }
}
