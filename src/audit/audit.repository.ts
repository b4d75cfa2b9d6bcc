import { Injectable } from '@nestjs/common';
import { Db, Queryable } from '../database/db';
import { Statement } from '../database/sql';

export interface OpsActionRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  detail: Record<string, unknown> | null;
}

const insertAction = new Statement(
  'audit record action',
  `INSERT INTO ops_actions (actor, action, subject_type, subject_id, detail) VALUES ($1, $2, $3, $4, $5::jsonb)`,
);
/** The latest $3, oldest first, so a subject's story reads in order. */
const actionsOf = new Statement<OpsActionRow>(
  'audit actions of subject',
  `SELECT * FROM (
     SELECT id, at, actor, action, subject_type, subject_id, detail FROM ops_actions
      WHERE subject_type = $1 AND subject_id = $2 ORDER BY at DESC, id DESC LIMIT $3
   ) latest ORDER BY at, id`,
);

/** The audit trail's SQL. */
@Injectable()
export class AuditRepository {
  constructor(private readonly db: Db) {}

  async insert(row: Omit<OpsActionRow, 'id' | 'at'>, database: Queryable = this.db): Promise<void> {
    const detail = row.detail === null ? null : JSON.stringify(row.detail);
    await database.run(insertAction, [row.actor, row.action, row.subject_type, row.subject_id, detail]);
  }

  async of(subjectType: string, subjectId: string, limit: number): Promise<OpsActionRow[]> {
    return this.db.run(actionsOf, [subjectType, subjectId, limit]);
  }
}
