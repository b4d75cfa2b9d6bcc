import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Notification, NotificationState } from './notification.entity';

export interface NotificationStatus {
  state: 'NONE' | NotificationState;
  attempts: number;
  lastAttemptAt?: string;
  nextAttemptAt?: string;
}

/** The merchant view of `GET /orders/:id`: where the latest notification of an order stands. */
@Injectable()
export class NotificationStatusService {
  constructor(@InjectRepository(Notification) private readonly notifications: Repository<Notification>) {}

  async statusFor(orderId: string): Promise<NotificationStatus> {
    const latest = await this.notifications.findOne({ where: { orderId }, order: { createdAt: 'DESC' } });
    if (!latest) return { state: 'NONE', attempts: 0 };
    return {
      state: latest.state,
      attempts: latest.attempts,
      ...(latest.lastAttemptAt ? { lastAttemptAt: latest.lastAttemptAt.toISOString() } : {}),
      ...(latest.nextAttemptAt && latest.state === 'PENDING' ? { nextAttemptAt: latest.nextAttemptAt.toISOString() } : {}),
    };
  }
}
