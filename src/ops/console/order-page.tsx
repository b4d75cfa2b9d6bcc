import { useEffect, useRef, useState } from 'preact/hooks';
import { api, OrderTimeline, refusalOf, TimelineEntry } from './api';
import { CopyButton, curlOf, Id } from './copy';
import { money, pretty } from './format';
import type { ViewProps } from './main';
import { consoleHrefOf, hrefOf } from './router';
import { Time } from './time';
import { useAnswer } from './use-answer';

const KIND_LABEL: Record<TimelineEntry['kind'], string> = {
  order: 'order',
  event: 'event',
  'handler-run': 'handler',
  failure: 'failure',
  'notification-attempt': 'attempt',
  payment: 'payment',
  'ops-action': 'ops',
};

function statusClass(status: string): string {
  if (status === 'PAID') return 'resolved';
  if (status === 'REJECTED' || status === 'CANCELLED') return 'failed';
  return 'retrying';
}

/** One order's page: its facts, then its timeline (GET /admin/orders/:id/timeline), oldest first. */
export function OrderPage({ id, tick, fail }: ViewProps & { id: string }) {
  const [refusal, setRefusal] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const timeline = useAnswer(
    async () => {
      const answer = await api<OrderTimeline>('GET', `/admin/orders/${encodeURIComponent(id)}/timeline`);
      setRefusal(null);
      return answer;
    },
    (error) => {
      // An unknown order or a malformed id is an answer about this page, said here, not a failure of the console.
      const why = refusalOf(error);
      if (why) setRefusal(why);
      else fail(error);
    },
    [id, tick],
  );
  useEffect(() => heading.current?.focus(), [id]);
  const order = timeline?.order;

  return (
    <section class="detail order-page" aria-labelledby="order-title">
      <div class="detail-head">
        <h3 id="order-title" tabIndex={-1} ref={heading}>Order <Id kind="order" value={id} /></h3>
      </div>
      {refusal && <p role="alert" class="notice error">{refusal}</p>}
      <div class="toolbar">
        <CopyButton text={curlOf('GET', `/admin/orders/${id}/timeline`)} label="Copy a curl command that gets this timeline">Copy curl (timeline)</CopyButton>
        <CopyButton text={curlOf('GET', `/orders/${id}`, { admin: false })} label="Copy a curl command that gets this order">Copy curl (order)</CopyButton>
      </div>
      {order && timeline && (
        <>
          <dl class="facts">
            <dt>Status</dt><dd data-testid="order-status"><span class={`badge ${statusClass(order.status)}`}>{order.status}</span>{order.reason && <span class="muted">{order.reason}</span>}</dd>
            <dt>Merchant</dt><dd><a href={hrefOf({ view: 'merchants', id: order.merchantId })}>{order.merchantId}</a></dd>
            <dt>Items</dt><dd>{order.items.map((item) => `${item.quantity} × ${item.sku}`).join(', ')}</dd>
            <dt>Total</dt><dd>{money(order.totalAmount, order.currency)}</dd>
            <dt>Notify URL</dt><dd class="url">{order.notifyUrl}</dd>
            <dt>Placed</dt><dd><Time at={order.createdAt} /></dd>
            <dt>Paid</dt><dd>{order.paidAt ? <><Time at={order.paidAt} />{order.tradeNo && <> (trade no <code>{order.tradeNo}</code>)</>}</> : '—'}</dd>
            <dt>Elsewhere</dt>
            <dd>
              <a href={hrefOf({ view: 'deliveries', params: { orderId: order.id } })}>its deliveries</a>{' · '}
              <a href={hrefOf({ view: 'failed', params: { q: order.id, status: 'any' } })}>its failed messages</a>
            </dd>
          </dl>
          <h4>Timeline (oldest first)</h4>
          <ol class="timeline" aria-label="Timeline">
            {timeline.entries.map((entry, index) => {
              const href = consoleHrefOf(entry.link);
              return (
                <li key={index} class={`entry kind-${entry.kind}`} data-kind={entry.kind}>
                  <Time at={entry.at} precise />
                  <span class="badge kind">{KIND_LABEL[entry.kind]}</span>
                  <span class="summary">{entry.summary}</span>
                  {href && <> <a href={href}>more</a></>}
                  <details>
                    <summary>detail</summary>
                    <pre class="inline">{pretty(entry.detail)}</pre>
                    <CopyButton text={pretty(entry.detail)} label={`Copy the detail of: ${entry.summary}`} />
                  </details>
                </li>
              );
            })}
          </ol>
          {timeline.omitted.length > 0 && (
            <div class="muted" data-testid="omitted">
              Left out here: <ul>{timeline.omitted.map((text) => <li>{text}</li>)}</ul>
            </div>
          )}
        </>
      )}
    </section>
  );
}
