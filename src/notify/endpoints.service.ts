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
  /** Requests in flight at once, at most, and whether that is the platform's default. */
  concurrency: number;
  concurrencyIsDefault: boolean;
  /** Requests a second, at most; absent: no limit. */
  rateLimit?: number;
  /** Attempts in flight now, in every process. */
  inFlight: number;
  attemptsLastHour: number;
  failuresLastHour: number;
  lastSuccessAt?: string;
  lastFailureAt?: string;
  lastError?: string;
}

const VIEW_SQL = `SELECT e.*,
    (SELECT count(*)::int FROM jsonb_each(e.in_flight) f WHERE f.value::bigint > extract(epoch FROM now()) * 1000) AS in_flight_now,
    (SELECT count(*)::int FROM deliveries d WHERE d.endpoint_id = e.id AND d.attempted_at > now() - interval '1 hour') AS attempts_last_hour,
    (SELECT count(*)::int FROM deliveries d WHERE d.endpoint_id = e.id AND d.attempted_at > now() - interval '1 hour' AND d.delivered = false) AS failures_last_hour
  FROM endpoints e`;

/** What an endpoint without settings of its own gets, from the configuration. */
export interface EndpointDefaults {
  successRuleDefault: SuccessRule;
  concurrencyDefault: number;
}

/** Merchant endpoints (SPEC §8): the state notify sends by, and what ops see and change. */
@Injectable()
export class EndpointsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly failedMessages: FailedMessagesService,
  ) {}

  async list(defaults: EndpointDefaults): Promise<EndpointView[]> {
    const rows: EndpointRow[] = await this.dataSource.query(`${VIEW_SQL} ORDER BY e.origin`);
    return rows.map((row) => viewOf(row, defaults));
  }

  async get(id: string, defaults: EndpointDefaults): Promise<EndpointView> {
    const [row]: EndpointRow[] = await this.dataSource.query(`${VIEW_SQL} WHERE e.id = $1`, [id]);
    if (!row) throw NotifyException.endpointNotFound(id);
    return viewOf(row, defaults);
  }

  /** Sets what the body names: an absent field is left as it is; null concurrency or rate limit goes back to the default. */
  async update(id: string, settings: { successRule?: SuccessRule; concurrency?: number | null; rateLimit?: number | null }): Promise<void> {
    await this.change(
      id,
      `UPDATE endpoints SET success_rule = CASE WHEN $2 THEN $3 ELSE success_rule END,
              concurrency = CASE WHEN $4 THEN $5::int ELSE concurrency END,
              rate_limit = CASE WHEN $6 THEN $7::int ELSE rate_limit END
        WHERE id = $1 RETURNING id`,
      [
        id,
        settings.successRule !== undefined, settings.successRule ?? null,
        settings.concurrency !== undefined, settings.concurrency ?? null,
        settings.rateLimit !== undefined, settings.rateLimit ?? null,
      ],
    );
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
  concurrency: number | null;
  rate_limit: number | null;
  in_flight_now: number;
  attempts_last_hour: number;
  failures_last_hour: number;
}

function viewOf(row: EndpointRow, { successRuleDefault, concurrencyDefault }: EndpointDefaults): EndpointView {
  return {
    id: row.id,
    origin: row.origin,
    state: row.state,
    ...(row.disabled_reason ? { disabledReason: row.disabled_reason } : {}),
    successRule: row.success_rule ?? successRuleDefault,
    concurrency: row.concurrency ?? concurrencyDefault,
    concurrencyIsDefault: row.concurrency === null,
    ...(row.rate_limit === null ? {} : { rateLimit: row.rate_limit }),
    inFlight: row.in_flight_now,
    attemptsLastHour: row.attempts_last_hour,
    failuresLastHour: row.failures_last_hour,
    ...(row.last_success_at ? { lastSuccessAt: row.last_success_at.toISOString() } : {}),
    ...(row.last_failure_at ? { lastFailureAt: row.last_failure_at.toISOString() } : {}),
    ...(row.last_error ? { lastError: row.last_error } : {}),
  };
}
