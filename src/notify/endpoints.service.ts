import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { FailedMessagesService } from '../compensation/failed-messages/failed-messages.service';
import type { EndpointState, SuccessRule } from './endpoint.entity';
import { NotifyException } from './notify.exception';

/** What a notification attempt needs of its endpoint. */
export interface EndpointRoute {
  id: string;
  state: EndpointState;
  successRule: SuccessRule | null;
}

export interface EndpointView {
  id: string;
  origin: string;
  state: EndpointState;
  disabledReason?: string;
  successRule: SuccessRule;
  attemptsLastHour: number;
  failuresLastHour: number;
  lastSuccessAt?: string;
  lastFailureAt?: string;
  lastError?: string;
}

const VIEW_SQL = `SELECT e.*,
    (SELECT count(*)::int FROM deliveries d WHERE d.endpoint_id = e.id AND d.attempted_at > now() - interval '1 hour') AS attempts_last_hour,
    (SELECT count(*)::int FROM deliveries d WHERE d.endpoint_id = e.id AND d.attempted_at > now() - interval '1 hour' AND d.delivered = false) AS failures_last_hour
  FROM endpoints e`;

/** Merchant endpoints (SPEC §8): the state notify sends by, and what ops see and change. */
@Injectable()
export class EndpointsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly failedMessages: FailedMessagesService,
  ) {}

  async list(successBodyDefault: SuccessRule): Promise<EndpointView[]> {
    const rows: EndpointRow[] = await this.dataSource.query(`${VIEW_SQL} ORDER BY e.origin`);
    return rows.map((row) => viewOf(row, successBodyDefault));
  }

  async get(id: string, successBodyDefault: SuccessRule): Promise<EndpointView> {
    const [row]: EndpointRow[] = await this.dataSource.query(`${VIEW_SQL} WHERE e.id = $1`, [id]);
    if (!row) throw NotifyException.endpointNotFound(id);
    return viewOf(row, successBodyDefault);
  }

  async setSuccessRule(id: string, successRule: SuccessRule): Promise<void> {
    await this.change(id, `UPDATE endpoints SET success_rule = $2 WHERE id = $1 RETURNING id`, [id, successRule]);
  }

  /** ACTIVE again, the disabled reason cleared. */
  async enable(id: string): Promise<void> {
    await this.change(id, `UPDATE endpoints SET state = 'ACTIVE', disabled_reason = NULL, failing_since = NULL, opened_at = NULL, probe_at = NULL WHERE id = $1 RETURNING id`, [id]);
  }

  /**
   * Re-runs, oldest first and once each, every FAILED notification to this endpoint whose
   * first failure is at or after `since`; answers how many.
   */
  async recover(id: string, since: Date, actor: string): Promise<number> {
    const [endpoint]: { id: string }[] = await this.dataSource.query(`SELECT id FROM endpoints WHERE id = $1`, [id]);
    if (!endpoint) throw NotifyException.endpointNotFound(id);
    const events: { event_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT n.event_id FROM notifications n JOIN deliveries d ON d.event_id = n.event_id
        WHERE d.endpoint_id = $1 AND n.state = 'FAILED'`,
      [id],
    );
    if (events.length === 0) return 0;
    return this.failedMessages.retryMessages('notify.merchant', events.map((event) => event.event_id), since, actor);
  }

  private async change(id: string, sql: string, parameters: unknown[]): Promise<void> {
    const [changed]: [unknown[], number] = await this.dataSource.query(sql, parameters);
    if (changed.length === 0) throw NotifyException.endpointNotFound(id);
  }
}

interface EndpointRow {
  id: string;
  origin: string;
  state: EndpointState;
  disabled_reason: string | null;
  success_rule: SuccessRule | null;
  last_success_at: Date | null;
  last_failure_at: Date | null;
  last_error: string | null;
  attempts_last_hour: number;
  failures_last_hour: number;
}

function viewOf(row: EndpointRow, successRuleDefault: SuccessRule): EndpointView {
  return {
    id: row.id,
    origin: row.origin,
    state: row.state,
    ...(row.disabled_reason ? { disabledReason: row.disabled_reason } : {}),
    successRule: row.success_rule ?? successRuleDefault,
    attemptsLastHour: row.attempts_last_hour,
    failuresLastHour: row.failures_last_hour,
    ...(row.last_success_at ? { lastSuccessAt: row.last_success_at.toISOString() } : {}),
    ...(row.last_failure_at ? { lastFailureAt: row.last_failure_at.toISOString() } : {}),
    ...(row.last_error ? { lastError: row.last_error } : {}),
  };
}
