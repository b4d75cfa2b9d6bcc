import type { AttemptError } from '@backstop/transport';
import type { RecordedOpsAction } from '../audit/audit-trail';
import type { AttemptRecord, NotificationRecord } from '../notify/order-notifications';
import type { OrderRecord } from '../orders/order-facts';
import type { PaymentIncidents } from '../payment/payment-incidents';
import type { StockReservationRecord } from '../stock/stock.service';

export const TIMELINE_KINDS = ['order', 'event', 'handler-run', 'failure', 'notification-attempt', 'payment', 'ops-action'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/** One step of an order's story. `link`: the ops API path that tells more, or null. */
export interface TimelineEntry {
  at: string;
  kind: TimelineKind;
  summary: string;
  detail: Record<string, unknown>;
  link: string | null;
}

/** A failed message of the order with its row's audit trail. */
export interface FailureSource {
  id: string;
  handler: string;
  messageId: string;
  routingKey: string | null;
  status: string;
  poison: boolean;
  attempts: number;
  sweepCount: number;
  error: string;
  errors: AttemptError[];
  firstFailedAt: Date;
  nextSweepAt: Date | null;
  resolvedAt: Date | null;
  discardReason: string | null;
  actions: { action: string; actor: string; reason: string | null; at: Date }[];
}

export type IncidentSource = Awaited<ReturnType<PaymentIncidents['ofOrder']>>[number];

/** What each module knows of the order, read through its own typed methods (OrderTimelineService). */
export interface TimelineSources {
  now: Date;
  order: OrderRecord;
  /** When the order last moved: the time of its current status. */
  updatedAt: Date;
  paying: boolean;
  reservation: StockReservationRecord | null;
  notifications: NotificationRecord[];
  attempts: AttemptRecord[];
  failures: FailureSource[];
  incidents: IncidentSource[];
  opsActions: RecordedOpsAction[];
}

/** The event each move of the state machine writes in its own transaction (G1). */
const EVENT_OF_STATUS: Record<string, string> = {
  CONFIRMED: 'order.confirmed',
  PAID: 'order.paid',
  REJECTED: 'order.rejected',
  CANCELLED: 'order.cancelled',
};
/** The handler whose attempts are in the delivery log, which says more of each (status, duration, answer). */
const LOGGED_HANDLER = 'notify.merchant';

/**
 * The order's story, oldest first, from what each module keeps. Pure: the sources are read
 * elsewhere, so what the page shows for a given state is decided (and tested) here.
 */
export function orderTimeline(sources: TimelineSources): TimelineEntry[] {
  const { order } = sources;
  const entries: { at: Date; entry: Omit<TimelineEntry, 'at'> }[] = [];
  const add = (at: Date, kind: TimelineKind, summary: string, detail: Record<string, unknown>, link: string | null = null) =>
    entries.push({ at, entry: { kind, summary, detail, link } });

  // The ids the order's events are known by: a notification is keyed by the event that first claimed it,
  // a failed message by the message it could not process.
  const eventIds = new Map<string, string>();
  for (const notification of sources.notifications) eventIds.set(notification.eventType, notification.eventId);
  const failedOn = new Map<string, FailureSource>();
  for (const failure of sources.failures) {
    if (failure.routingKey && !eventIds.has(failure.routingKey)) eventIds.set(failure.routingKey, failure.messageId);
    if (failure.routingKey && !failedOn.has(failure.routingKey)) failedOn.set(failure.routingKey, failure);
  }
  const event = (at: Date, type: string, writtenWith: string) => {
    const failure = failedOn.get(type);
    add(at, 'event', `${type} written ${writtenWith}, published after commit`, { type, eventId: eventIds.get(type) ?? null }, failure ? failedMessageLink(failure) : null);
  };

  add(order.createdAt, 'order', `Order placed for merchant ${order.merchantId}: ${itemsText(order.items)}, total ${money(order.totalAmount, order.currency)}`, {
    status: 'PENDING',
    merchantId: order.merchantId,
    items: order.items,
    totalAmount: order.totalAmount,
    currency: order.currency,
    notifyUrl: order.notifyUrl,
  }, `/orders/${order.id}`);
  event(order.createdAt, 'order.created', 'with the order');

  const reservation = sources.reservation;
  if (reservation) {
    add(reservation.reservedAt, 'handler-run', `stock.reserve reserved ${itemsText(reservation.items)}`, { handler: 'stock.reserve', items: reservation.items });
    event(reservation.reservedAt, 'stock.reserved', 'with the reservation');
    if (reservation.releasedAt) add(reservation.releasedAt, 'handler-run', `stock.release gave back ${itemsText(reservation.items)}`, { handler: 'stock.release', items: reservation.items });
  }

  if (order.status !== 'PENDING') {
    add(sources.updatedAt, 'order', `Order ${order.status}${order.reason ? `: ${order.reason}` : ''}`, { status: order.status, reason: order.reason, tradeNo: order.tradeNo }, `/orders/${order.id}`);
    event(sources.updatedAt, EVENT_OF_STATUS[order.status], 'with the change');
  }
  if (order.paidAt) {
    add(order.paidAt, 'payment', `Paid${order.tradeNo ? `: trade no ${order.tradeNo}` : ''}, ${money(order.totalAmount, order.currency)}`, {
      tradeNo: order.tradeNo,
      totalAmount: order.totalAmount,
      currency: order.currency,
    });
  }
  if (sources.paying) {
    add(sources.now, 'payment', 'A charge is under way and its outcome is not known yet: the check-back settles it', { paying: true });
  }
  for (const incident of sources.incidents) {
    add(incident.receivedAt, 'payment', `Payment for a ${incident.orderStatus} order (${incident.source}), trade no ${incident.tradeNo}, ${money(incident.amount, order.currency)}: refund it through the provider`, {
      tradeNo: incident.tradeNo,
      amount: incident.amount,
      orderStatus: incident.orderStatus,
      source: incident.source,
    }, '/admin/payment-incidents');
  }

  const typeOfEvent = new Map(sources.notifications.map((notification) => [notification.eventId, notification.eventType]));
  for (const notification of sources.notifications) {
    add(notification.createdAt, 'handler-run', `notify.merchant took ${notification.eventType}: ${notificationState(notification)}`, {
      handler: LOGGED_HANDLER,
      eventId: notification.eventId,
      eventType: notification.eventType,
      state: notification.state,
      attempts: notification.attempts,
      lastAttemptAt: notification.lastAttemptAt?.toISOString() ?? null,
      nextAttemptAt: notification.nextAttemptAt?.toISOString() ?? null,
      deliveredAt: notification.deliveredAt?.toISOString() ?? null,
    }, `/admin/deliveries?orderId=${order.id}`);
  }
  for (const attempt of sources.attempts) {
    const type = typeOfEvent.get(attempt.eventId) ?? 'notification';
    add(attempt.attemptedAt, 'notification-attempt', `Attempt ${attempt.attempt} of ${type} to ${originOf(attempt.url)}: ${attemptOutcome(attempt)}`, {
      eventId: attempt.eventId,
      attempt: attempt.attempt,
      url: attempt.url,
      endpoint: attempt.endpointId,
      httpStatus: attempt.httpStatus,
      durationMs: attempt.durationMs,
      delivered: attempt.delivered,
      error: attempt.delivered === null ? 'outcome unknown' : attempt.error,
      responseSnippet: attempt.responseSnippet,
    }, attempt.endpointId ? `/admin/endpoints/${attempt.endpointId}` : null);
  }

  for (const failure of sources.failures) {
    const link = failedMessageLink(failure);
    const facts = { failedMessage: failure.id, handler: failure.handler, messageId: failure.messageId, routingKey: failure.routingKey };
    if (failure.handler !== LOGGED_HANDLER) {
      for (const attempt of failure.errors) {
        add(new Date(attempt.at), 'handler-run', `${failure.handler} attempt ${attempt.attempt} failed: ${firstLine(attempt.error)}`, { ...facts, attempt: attempt.attempt, error: attempt.error }, link);
      }
    }
    const gaveUp = failure.poison ? `refused ${failure.routingKey ?? 'a message'} as poison` : `gave up on ${failure.routingKey ?? 'a message'} after ${failure.attempts} attempts`;
    add(failure.firstFailedAt, 'failure', `${failure.handler} ${gaveUp}: ${firstLine(failure.error)} (now ${failure.status})`, {
      ...facts,
      status: failure.status,
      poison: failure.poison,
      attempts: failure.attempts,
      sweepCount: failure.sweepCount,
      nextSweepAt: failure.nextSweepAt?.toISOString() ?? null,
      error: failure.error,
    }, link);
    for (const action of failure.actions) {
      if (action.action === 'sweep') add(action.at, 'handler-run', `The sweeper re-ran ${failure.handler} on ${failure.routingKey ?? failure.messageId}`, { ...facts, action: action.action }, link);
      else add(action.at, 'ops-action', `${action.action} of the ${failure.handler} failure by ${action.actor}${action.reason ? `: ${action.reason}` : ''}`, { ...facts, action: action.action, actor: action.actor, reason: action.reason }, link);
    }
    if (failure.status === 'RESOLVED' && failure.resolvedAt) add(failure.resolvedAt, 'handler-run', `${failure.handler} re-run on ${failure.routingKey ?? failure.messageId} succeeded: RESOLVED`, facts, link);
  }

  for (const action of sources.opsActions) {
    add(action.at, 'ops-action', opsActionText(action, typeOfEvent), {
      action: action.action,
      actor: action.actor,
      subject: action.subject,
      requestId: action.requestId,
      ...(action.detail ?? {}),
    }, action.subject.type === 'notification' ? `/admin/deliveries?orderId=${order.id}` : null);
  }

  // Stable: entries at the same moment keep the order above, the cause before its effect.
  return entries
    .map((item, index) => ({ ...item, index }))
    .sort((a, b) => a.at.getTime() - b.at.getTime() || a.index - b.index)
    .map(({ at, entry }) => ({ at: at.toISOString(), ...entry }));
}

function failedMessageLink(failure: FailureSource): string {
  return `/admin/failed-messages/${failure.id}`;
}

function notificationState(notification: NotificationRecord): string {
  const attempts = `${notification.attempts} attempt${notification.attempts === 1 ? '' : 's'}`;
  switch (notification.state) {
    case 'DELIVERED':
      return `notification DELIVERED after ${attempts}`;
    case 'FAILED':
      return `notification FAILED after ${attempts}`;
    case 'NOT_SUBSCRIBED':
      return `the merchant does not take ${notification.eventType}: nothing sent`;
    default:
      return `notification PENDING after ${attempts}${notification.nextAttemptAt ? `, next attempt at ${notification.nextAttemptAt.toISOString()}` : ''}`;
  }
}

function attemptOutcome(attempt: AttemptRecord): string {
  if (attempt.delivered === null) return 'outcome unknown';
  const answer = [attempt.httpStatus === null ? 'no answer' : `HTTP ${attempt.httpStatus}`, attempt.durationMs === null ? null : `${attempt.durationMs} ms`].filter(Boolean).join(', ');
  return attempt.delivered ? `delivered (${answer})` : `failed: ${firstLine(attempt.error) || 'not delivered'} (${answer})`;
}

function opsActionText(action: RecordedOpsAction, typeOfEvent: Map<string, string>): string {
  if (action.action === 'notification.resend') {
    const delivered = action.detail?.delivered;
    const outcome = delivered === true ? ': delivered' : delivered === false ? ': not delivered' : '';
    const type = typeOfEvent.get(action.subject.id);
    return `${action.actor} resent the ${type ? `${type} ` : ''}notification${outcome}`;
  }
  return `${action.action} by ${action.actor}`;
}

function itemsText(items: { sku: string; quantity: number }[]): string {
  return items.map((item) => `${item.quantity} × ${item.sku}`).join(', ');
}

/** In the currency's own minor units (2 for CNY, 0 for JPY): amounts are integers of them. */
function money(amount: number, currency: string): string {
  let digits = 2;
  try {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    // An unknown code: shown with two decimals, as most have.
  }
  return `${(amount / 10 ** digits).toFixed(digits)} ${currency}`;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function firstLine(text: string | null | undefined): string {
  return (text ?? '').split('\n')[0];
}
