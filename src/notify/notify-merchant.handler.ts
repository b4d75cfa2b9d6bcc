import { Injectable } from '@nestjs/common';
import { EventHandler, HandlerContext } from '../compensation/handlers/event-handler.decorator';
import { NOTIFY_CHANNEL } from '../messaging/consumer-channels';
import { NotifyService, OutcomeEvent } from './notify.service';

@Injectable()
export class NotifyMerchantHandler {
  constructor(private readonly notify: NotifyService) {}

  @EventHandler({ queue: 'notify.merchant', routingKeys: ['order.paid', 'order.rejected', 'order.cancelled'], retry: 'notify', waitOnBroker: 'notify-wait', channel: NOTIFY_CHANNEL })
  handle(event: OutcomeEvent, context: HandlerContext) {
    return this.notify.notify(event, context);
  }
}
