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
  request_id: string | null;
}

const insertAction = new Statement(
  'audit record action',
  `INSERT INTO ops_actions (actor, action, subject_type, subject_id, detail, request_id) VALUES ($1, $2, $3, $4, $5::jsonb, $6)`,
);
/** The latest $3, oldest first, so a subject's story reads in order. */
const actionsOf = new Statement<OpsActionRow>(
  'audit actions of subject',
  `SELECT * FROM (
     SELECT id, at, actor, action, subject_type, subject_id, detail, request_id FROM ops_actions
      WHERE subject_type = $1 AND subject_id = $2 ORDER BY at DESC, id DESC LIMIT $3
   ) latest ORDER BY at, id`,
);

/** The first $3 actions on any of the subjects (types $1 and ids $2, pairwise), oldest first: one probe of ops_actions_subject a subject. */
const actionsOfSubjects = new Statement<OpsActionRow>(
  'audit actions of subjects',
  `SELECT a.id, a.at, a.actor, a.action, a.subject_type, a.subject_id, a.detail, a.request_id
     FROM unnest($1::text[], $2::text[]) AS s (subject_type, subject_id)
     JOIN ops_actions a ON a.subject_type = s.subject_type AND a.subject_id = s.subject_id
    ORDER BY a.at, a.id LIMIT $3`,
);

/** The audit trail's SQL. */
@Injectable()
export class AuditRepository {
  constructor(private readonly db: Db) {}

  async insert(row: Omit<OpsActionRow, 'id' | 'at'>, database: Queryable = this.db): Promise<void> {
    const detail = row.detail === null ? null : JSON.stringify(row.detail);
    await database.run(insertAction, [row.actor, row.action, row.subject_type, row.subject_id, detail, row.request_id]);
  }

  async ofSubjects(subjects: { type: string; id: string }[], limit: number): Promise<OpsActionRow[]> {
    return this.db.run(actionsOfSubjects, [subjects.map((subject) => subject.type), subjects.map((subject) => subject.id), limit]);
  }

  async of(subjectType: string, subjectId: string, limit: number): Promise<OpsActionRow[]> {
    return this.db.run(actionsOf, [subjectType, subjectId, limit]);
  }
}
