import { Injectable } from '@nestjs/common';
import { currentRequestId } from '../common/request-id';
import type { Queryable } from '../database/db';
import { AuditRepository } from './audit.repository';

/** What an ops action was done to: a kind of thing (`merchant`, `notification`, …) and its id. */
export interface AuditSubject {
  type: string;
  id: string;
}

export interface OpsAction {
  /** The operator's name (the ADMIN_TOKEN entry it came with). */
  actor: string;
  /** What was done, e.g. `merchant.rotate-secret`. */
  action: string;
  subject: AuditSubject;
  /** What a reader needs to understand the action. Never a secret: the trail is shown in the ops API. */
  detail?: Record<string, unknown>;
}

export interface RecordedOpsAction extends Omit<OpsAction, 'detail'> {
  id: string;
  at: Date;
  detail: Record<string, unknown> | null;
  /** The x-request-id of the HTTP request that did it: its log lines carry the same id. Null outside a request. */
  requestId: string | null;
}

/**
 * The ops audit trail (`ops_actions`): who changed what, when. Shared machinery: a module
 * records its own actions and reads them back by subject; the trail knows no business words.
 */
@Injectable()
export class AuditTrail {
  constructor(private readonly repository: AuditRepository) {}

  /**
   * Records an action, with the id of the request it is recorded for. Pass the transaction
   * that makes the change as `database`, so the change and its record commit together or not
   * at all.
   */
  record(action: OpsAction, database?: Queryable): Promise<void> {
    return this.repository.insert(
      {
        actor: action.actor,
        action: action.action,
        subject_type: action.subject.type,
        subject_id: action.subject.id,
        detail: action.detail ?? null,
        request_id: currentRequestId() ?? null,
      },
      database,
    );
  }

  /** The first `limit` actions on any of these subjects (an order's notifications, say), oldest first. */
  async ofAny(subjects: AuditSubject[], limit = 200): Promise<RecordedOpsAction[]> {
    if (subjects.length === 0) return [];
    return (await this.repository.ofSubjects(subjects, limit)).map(recordedOf);
  }

  /** The subject's latest `limit` actions, oldest first. */
  async of(subject: AuditSubject, limit = 50): Promise<RecordedOpsAction[]> {
    return (await this.repository.of(subject.type, subject.id, limit)).map(recordedOf);
  }
}

/** An audit row as the trail answers it. */
function recordedOf(row: Awaited<ReturnType<AuditRepository['of']>>[number]): RecordedOpsAction {
  return {
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: { type: row.subject_type, id: row.subject_id },
    detail: row.detail,
    requestId: row.request_id,
  };
}
