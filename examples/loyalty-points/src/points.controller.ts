import { BackstopContext, EventOf } from '@backstop/transport';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { PointsService } from './points.service';

@Controller()
export class PointsController {
  constructor(private readonly points: PointsService) {}

  @EventPattern('order.paid')
  award(@Payload() event: EventOf<'order.paid'>, @Ctx() context: BackstopContext) {
    return this.points.awardFor(event.data, context);
  }
}
