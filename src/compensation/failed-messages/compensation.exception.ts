import { DomainException } from '../../common/domain.exception';
import type { FailedMessageStatus } from './failed-message.entity';

export class CompensationException extends DomainException {
  static notFound(id: string) {
    return new CompensationException('not-found', 'FAILED_MESSAGE_NOT_FOUND', `failed message ${id} does not exist`);
  }

  static wrongStatus(id: string, status: FailedMessageStatus, action: string) {
    return new CompensationException('conflict', 'FAILED_MESSAGE_STATUS', `failed message ${id} is ${status}; cannot ${action} it`);
  }

  static brokerUnavailable(count: number, reason: string) {
    return new CompensationException('unavailable', 'BROKER_UNAVAILABLE', `${count} re-runs could not be published (${reason}); the sweeper sends them once their lease runs out`);
  }

  static groupNotFound(key: string) {
    return new CompensationException('not-found', 'FAILURE_GROUP_NOT_FOUND', `failure group ${key} does not exist`);
  }

  static badTimeRange(from: Date, to: Date) {
    return new CompensationException('invalid', 'BAD_TIME_RANGE', `from (${from.toISOString()}) must be before to (${to.toISOString()})`);
  }

  static badCursor() {
    return new CompensationException('invalid', 'BAD_CURSOR', 'cursor is not one this API returned');
  }
}
