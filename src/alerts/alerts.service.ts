import type { OpsAlertData } from '@backstop/transport';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EventTransaction } from '../coordinator/event-transaction';
import { Coordinator } from '../coordinator/coordinator.service';
import { AlertsRepository, RaisedAlert } from './alerts.repository';
import type { AlertKind, ChangeKind, ConditionKind } from './conditions';

/**
 * Raising an alert: its row, unique by the change it is about, and, only when that row is new,
 * its `ops.alert` event, in one transaction (G1: the event is published at least once, and an
 * alert raised again, by this process or another, inserts nothing and sends nothing).
 */
@Injectable()
export class Alerts {
  constructor(
    private readonly coordinator: Coordinator,
    private readonly repository: AlertsRepository,
  ) {}

  /** A one-off change, once however often it is told; the alert when it was raised now. */
  raiseChange(kind: ChangeKind, subject: string, episode: string, details: Record<string, unknown>): Promise<OpsAlertData | undefined> {
    return this.coordinator.transaction((transaction) => this.raiseChangeIn(transaction, kind, subject, episode, details));
  }

  async raiseChangeIn(transaction: EventTransaction, kind: ChangeKind, subject: string, episode: string, details: Record<string, unknown>): Promise<OpsAlertData | undefined> {
    const raised = await this.repository.raiseChange(transaction, { id: randomUUID(), kind, subject, episode, details });
    return this.emitIfRaised(transaction, raised, kind, details);
  }

  /** A condition beginning, unless one of its kind and subject is under way; the alert when it was raised now. */
  async beginConditionIn(transaction: EventTransaction, kind: ConditionKind, subject: string, details: Record<string, unknown>): Promise<OpsAlertData | undefined> {
    const raised = await this.repository.beginCondition(transaction, { id: randomUUID(), kind, subject, details });
    return this.emitIfRaised(transaction, raised, kind, details);
  }

  private async emitIfRaised(transaction: EventTransaction, raised: RaisedAlert | undefined, kind: AlertKind, details: Record<string, unknown>): Promise<OpsAlertData | undefined> {
    if (!raised) return undefined;
    const alert = { alertId: raised.id, kind, raisedAt: raised.raised_at.toISOString(), details };
    await transaction.emit('ops.alert', alert);
    return alert;
  }
}
