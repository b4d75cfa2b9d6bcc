import { Injectable } from '@nestjs/common';
import { FailedMessagesService } from '../compensation/failed-messages/failed-messages.service';
import { slotsOf } from './adaptive-limit';
import { CircuitTimes, EndpointCircuitTimes } from './endpoint-circuit-times';
import type { EndpointState, SuccessRule } from './endpoint.entity';
import { EndpointSettings, EndpointsRepository, EndpointSummaryRow } from './endpoints.repository';
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
  /** Requests in flight at once, at most, now: the adaptive limit, under the cap ops set if any. */
  concurrency: number;
  /** No cap set by ops: the adaptive limit alone decides. */
  concurrencyIsDefault: boolean;
  /** The adaptive limit, between NOTIFY_ENDPOINT_CONCURRENCY_MIN and _MAX. */
  adaptiveLimit: number;
  /** Set by ops: never more than this at once. */
  concurrencyCap?: number;
  /** Notifications waiting for a slot, in every process's line. */
  waiting: number;
  /** Of the latest answer times (the last 100 attempts). */
  latencyP50Ms?: number;
  latencyP99Ms?: number;
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

/** What an endpoint without settings of its own gets, from the configuration. */
export interface EndpointDefaults {
  successRuleDefault: SuccessRule;
  /** NOTIFY_ENDPOINT_CONCURRENCY: where the adaptive limit starts. */
  concurrencyDefault: number;
}

/** Merchant endpoints (docs/architecture.md#merchant-notification): the state notify sends by, and what ops see and change. */
@Injectable()
export class EndpointsService {
  constructor(
    private readonly endpoints: EndpointsRepository,
    private readonly failedMessages: FailedMessagesService,
    private readonly circuitTimes: EndpointCircuitTimes,
  ) {}

  /** A page of endpoints by origin, after the one `cursor` names; `nextCursor` is null on the last page. */
  async list(defaults: EndpointDefaults, limit: number, cursor?: string): Promise<{ items: (EndpointView & CircuitTimes)[]; nextCursor: string | null }> {
    const after = cursor === undefined ? undefined : originOf(cursor);
    const rows = await this.endpoints.list(limit + 1, after);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: await Promise.all(page.map((row) => this.circuitTimes.add(viewOf(row, defaults)))),
      nextCursor: rows.length > limit && last ? Buffer.from(last.origin).toString('base64url') : null,
    };
  }

  async get(id: string, defaults: EndpointDefaults): Promise<EndpointView & CircuitTimes> {
    const row = await this.endpoints.summary(id);
    if (!row) throw NotifyException.endpointNotFound(id);
    return this.circuitTimes.add(viewOf(row, defaults));
  }

  /** Sets what the body names: an absent field is left as it is; null concurrency or rate limit goes back to the default. */
  async update(id: string, settings: Partial<EndpointSettings>): Promise<void> {
    if (!(await this.endpoints.changeSettings(id, settings))) throw NotifyException.endpointNotFound(id);
  }

  /** ACTIVE again, the disabled reason cleared. */
  async enable(id: string): Promise<void> {
    if (!(await this.endpoints.enable(id))) throw NotifyException.endpointNotFound(id);
  }

  /**
   * Re-runs, oldest first and once each, every FAILED notification to this endpoint whose
   * first failure is at or after `since`; answers how many.
   */
  async recover(id: string, since: Date, actor: string): Promise<number> {
    if (!(await this.endpoints.exists(id))) throw NotifyException.endpointNotFound(id);
    const events = await this.endpoints.failedEventIds(id);
    if (events.length === 0) return 0;
    return this.failedMessages.retryMessages('notify.merchant', events, since, actor);
  }
}

function viewOf(row: EndpointSummaryRow, { successRuleDefault, concurrencyDefault }: EndpointDefaults): EndpointView {
  return {
    id: row.id,
    origin: row.origin,
    state: row.state,
    ...(row.disabled_reason ? { disabledReason: row.disabled_reason } : {}),
    successRule: row.success_rule ?? successRuleDefault,
    concurrency: slotsOf(row.concurrency_limit ?? concurrencyDefault, row.concurrency),
    concurrencyIsDefault: row.concurrency === null,
    adaptiveLimit: Math.round((row.concurrency_limit ?? concurrencyDefault) * 10) / 10,
    ...(row.concurrency === null ? {} : { concurrencyCap: row.concurrency }),
    waiting: row.waiting_now,
    ...(row.latency_p50 === null ? {} : { latencyP50Ms: row.latency_p50, latencyP99Ms: row.latency_p99! }),
    ...(row.rate_limit === null ? {} : { rateLimit: row.rate_limit }),
    inFlight: row.in_flight_now,
    attemptsLastHour: row.attempts_last_hour,
    failuresLastHour: row.failures_last_hour,
    ...(row.last_success_at ? { lastSuccessAt: row.last_success_at.toISOString() } : {}),
    ...(row.last_failure_at ? { lastFailureAt: row.last_failure_at.toISOString() } : {}),
    ...(row.last_error ? { lastError: row.last_error } : {}),
  };
}

/** The origin an endpoints cursor stands for; a cursor this API did not hand out is refused. */
function originOf(cursor: string): string {
  const origin = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9A-Za-z_-]+$/.test(cursor) || !/^https?:\/\/\S+$/.test(origin)) throw NotifyException.badCursor();
  return origin;
}
