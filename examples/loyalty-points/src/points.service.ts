import { BackstopContext, once, OnceOutcome, OrderPaidData } from '@backstop/transport';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PointRate } from './point-rate.entity';
import { PointsEntry } from './points-entry.entity';
import { PointsException } from './points.exception';

@Injectable()
export class PointsService {
  private readonly logger = new Logger(PointsService.name);

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Awards the points of a paid order, once however often the event arrives. */
  async awardFor(payment: OrderPaidData, context: BackstopContext): Promise<OnceOutcome> {
    const outcome = await once(this.dataSource, context, async (manager) => {
      const rate = await manager.findOneBy(PointRate, { currency: payment.currency });
      if (!rate) throw PointsException.noRate(payment.currency);
      const points = Math.floor(payment.amount / 100) * rate.pointsPerHundred;
      await manager.insert(PointsEntry, { orderId: payment.orderId, tradeNo: payment.tradeNo, points });
    });
    this.logger.log({
      msg: `points ${outcome === 'done' ? 'awarded' : 'already awarded'}`,
      queue: context.getQueue(),
      messageId: context.getEventId(),
      orderId: payment.orderId,
      attempt: context.getAttempt(),
    });
    return outcome;
  }
}
