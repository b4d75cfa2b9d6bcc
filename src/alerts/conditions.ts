/**
 * What the periodic check makes of what it reads (docs/operations.md#alerts): which conditions
 * begin, which are over, and the one-off changes that go with them. No I/O here: AlertChecks
 * reads and applies, under a lock that lets one process at a time decide.
 */

/** Raised when it begins and open while it lasts: at most one open per kind and subject. */
export type ConditionKind = 'message.failed' | 'failures.spike' | 'outbox.stalled';
/** Raised once per change, never open. */
export type ChangeKind = 'endpoint.disabled' | 'endpoint.circuit_opened' | 'endpoint.circuit_closed' | 'outbox.recovered';
export type AlertKind = ConditionKind | ChangeKind;

/** The one subject of the outbox's conditions. */
export const OUTBOX = 'outbox';

export interface OpenCondition {
  id: string;
  kind: ConditionKind;
  subject: string;
  episode: string;
  raisedAt: Date;
}

/** A failure group's failures within the window, with its latest. */
export interface RecentGroup {
  failureGroup: string;
  handler: string;
  fingerprint: string;
  endpoint: string | null;
  failures: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
  /** The latest failure's message and error (its first line). */
  messageId: string;
  error: string;
}

/** The event waiting longest to be published. */
export interface OutboxBacklog {
  id: string;
  routingKey: string;
  createdAt: Date;
  ageSeconds: number;
}

export interface CheckSettings {
  spikeCount: number;
  spikeWindow: string;
  outboxStalledAfterMs: number;
  outboxStalledAfter: string;
}

export interface Decisions {
  begin: { kind: ConditionKind; subject: string; details: Record<string, unknown> }[];
  end: OpenCondition[];
  /** One-off changes to raise, each with the episode that names it. */
  changes: { kind: ChangeKind; subject: string; episode: string; details: Record<string, unknown> }[];
}

/**
 * A spike is over when its group's failures over the window are down to half the threshold:
 * a rate that hovers around OPS_SPIKE_COUNT then raises one spike, not one per crossing.
 */
export function spikeOverAt(spikeCount: number): number {
  return Math.floor(spikeCount / 2);
}

/**
 * - `message.failed` begins with a group's first failure after a window (OPS_SPIKE_WINDOW)
 *   without any, and is over once a whole window passes without one;
 * - `failures.spike` begins when a group's failures over the window reach OPS_SPIKE_COUNT,
 *   and is over when they are down to `spikeOverAt`;
 * - `outbox.stalled` begins when the oldest unpublished event is OPS_OUTBOX_STALLED_AFTER
 *   old, and is over when none is that old; its end is told as `outbox.recovered`.
 */
export function decide(open: OpenCondition[], groups: RecentGroup[], oldest: OutboxBacklog | undefined, settings: CheckSettings): Decisions {
  const decisions: Decisions = { begin: [], end: [], changes: [] };
  const opened = (kind: ConditionKind) => new Map(open.filter((condition) => condition.kind === kind).map((condition) => [condition.subject, condition]));
  const failed = opened('message.failed');
  const spiking = opened('failures.spike');
  const byKey = new Map(groups.map((group) => [group.failureGroup, group]));

  for (const group of groups) {
    const about = { failureGroup: group.failureGroup, handler: group.handler, fingerprint: group.fingerprint, endpoint: group.endpoint };
    if (!failed.has(group.failureGroup)) {
      decisions.begin.push({ kind: 'message.failed', subject: group.failureGroup, details: { ...about, messageId: group.messageId, error: group.error, failedAt: group.lastFailedAt.toISOString() } });
    }
    if (group.failures >= settings.spikeCount && !spiking.has(group.failureGroup)) {
      decisions.begin.push({
        kind: 'failures.spike',
        subject: group.failureGroup,
        details: {
          ...about,
          failures: group.failures,
          threshold: settings.spikeCount,
          window: settings.spikeWindow,
          since: group.firstFailedAt.toISOString(),
          messageId: group.messageId,
          error: group.error,
        },
      });
    }
  }
  for (const condition of failed.values()) if (!byKey.has(condition.subject)) decisions.end.push(condition);
  for (const condition of spiking.values()) {
    if ((byKey.get(condition.subject)?.failures ?? 0) <= spikeOverAt(settings.spikeCount)) decisions.end.push(condition);
  }

  const stalled = oldest !== undefined && oldest.ageSeconds * 1000 >= settings.outboxStalledAfterMs;
  const stall = opened('outbox.stalled').get(OUTBOX);
  if (stalled && !stall) {
    decisions.begin.push({
      kind: 'outbox.stalled',
      subject: OUTBOX,
      details: { oldestEventId: oldest.id, routingKey: oldest.routingKey, createdAt: oldest.createdAt.toISOString(), ageSeconds: Math.round(oldest.ageSeconds), stalledAfter: settings.outboxStalledAfter },
    });
  }
  if (!stalled && stall) {
    decisions.end.push(stall);
    decisions.changes.push({ kind: 'outbox.recovered', subject: OUTBOX, episode: stall.episode, details: { stalledSince: stall.raisedAt.toISOString(), stalledAlertId: stall.id } });
  }
  return decisions;
}
