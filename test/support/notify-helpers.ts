import { connect, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { Webhook } from 'standardwebhooks';
import { http } from './http';
import { ReceivedNotification } from './merchant-server';
import { orderReaches, placeOrder, setStock } from './orders';
import { queueDepths } from './rabbitmqctl';
import { CALLBACK_SECRET, SIGNING_KEY } from './test-world';
import { waitFor } from './wait-for';
import type { Delivery as DeliveryRow } from '../../src/ops/console/api-types';

/** What `GET /admin/deliveries` lists for one attempt (`delivered: null`: outcome unknown), as the console reads it. */
export type { Delivery as DeliveryRow } from '../../src/ops/console/api-types';

/**
 * An order of one unit of a fresh SKU, confirmed and paid by the gateway's callback: its
 * merchant at `notifyUrl` is owed an `order.paid` notification from here on.
 */
export async function paidOrderTo(base: string, sku: string, notifyUrl: string) {
  await setStock(base, sku, 10, 500);
  const order = await placeOrder(base, [{ sku, quantity: 1 }], notifyUrl);
  const confirmed = await orderReaches(base, order.id, ['CONFIRMED', 'REJECTED'], 30_000);
  if (confirmed.status !== 'CONFIRMED') throw new Error(`order ${order.id} is ${confirmed.status}, not CONFIRMED`);
  await payByCallback(base, order);
  return order;
}

/** The gateway's asynchronous callback, signed as the gateway signs it; answers the platform's reply. */
export async function payByCallback(base: string, order: { id: string; totalAmount: number }, tradeNo = `T-${order.id.slice(0, 8)}`) {
  const rawBody = JSON.stringify({ orderId: order.id, tradeNo, status: 'TRADE_SUCCESS', amount: order.totalAmount });
  const signature = createHmac('sha256', CALLBACK_SECRET).update(rawBody).digest('hex');
  const answer = await http(base, 'POST', '/payments/callback', { rawBody, headers: { 'x-signature': signature } });
  if (answer.status !== 200 || answer.text !== 'success') throw new Error(`POST /payments/callback: ${answer.status} ${answer.text}`);
  return tradeNo;
}

/** The order's delivery log, oldest first as a merchant's history reads (the API lists newest first). */
export async function deliveriesOf(base: string, orderId: string): Promise<DeliveryRow[]> {
  const answer = await http(base, 'GET', `/admin/deliveries?orderId=${orderId}`, { admin: true });
  if (answer.status !== 200) throw new Error(`GET /admin/deliveries: ${answer.status} ${answer.text}`);
  return [...(answer.body.items as DeliveryRow[])].reverse();
}

/** Checks a received notification the way a merchant would, with the reference Standard Webhooks verifier. */
export function verifyNotification(received: ReceivedNotification): Record<string, unknown> {
  const header = (name: string) => {
    const value = received.headers[name];
    if (typeof value !== 'string') throw new Error(`header ${name} missing`);
    return value;
  };
  const verifier = new Webhook(`whsec_${SIGNING_KEY.toString('base64')}`);
  return verifier.verify(received.rawBody, {
    'webhook-id': header('webhook-id'),
    'webhook-timestamp': header('webhook-timestamp'),
    'webhook-signature': header('webhook-signature'),
  }) as Record<string, unknown>;
}

/**
 * A test-owned queue bound to `order.events` in one world's vhost: it keeps a copy of every
 * event of the given routing keys and can publish a message again exactly as it was.
 */
export class EventTap {
  readonly messages: ConsumeMessage[] = [];

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
  ) {}

  static async open(rabbitmqUrl: string, routingKeys: string[]): Promise<EventTap> {
    const connection = await connect(rabbitmqUrl);
    const channel = await connection.createConfirmChannel();
    const tap = new EventTap(connection, channel);
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    for (const key of routingKeys) await channel.bindQueue(queue, 'order.events', key);
    await channel.consume(queue, (message) => message && tap.messages.push(message), { noAck: true });
    return tap;
  }

  find(type: string, orderId: string): ConsumeMessage | undefined {
    return this.messages.find((message) => {
      const body = JSON.parse(message.content.toString());
      return body.type === type && body.data?.orderId === orderId;
    });
  }

  /** Publishes the same bytes with the same properties (a broker redelivery, as a consumer sees it). */
  async republish(message: ConsumeMessage): Promise<void> {
    const { messageId, contentType, deliveryMode, headers } = message.properties;
    this.channel.publish('order.events', message.fields.routingKey, message.content, { messageId, contentType, deliveryMode, headers });
    await this.channel.waitForConfirms();
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

/**
 * A host name other than `localhost` that resolves to a loopback address on this machine:
 * the machine's own name if it does, else one from /etc/hosts. Undefined when there is none.
 */
export async function loopbackHostName(): Promise<string | undefined> {
  const candidates = [hostname()];
  try {
    for (const line of readFileSync('/etc/hosts', 'utf8').split('\n')) {
      const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
      if (address && (address.startsWith('127.') || address === '::1')) candidates.push(...names);
    }
  } catch {
    /* no /etc/hosts: only the machine's name is a candidate */
  }
  for (const name of candidates) {
    if (!name || name === 'localhost' || name.endsWith('.localhost') || name.startsWith('localhost')) continue;
    try {
      const addresses = await lookup(name, { all: true });
      if (addresses.length > 0 && addresses.every(({ address }) => address.startsWith('127.') || address === '::1')) return name;
    } catch {
      /* does not resolve here */
    }
  }
  return undefined;
}

/** How many messages (ready or unacknowledged) `notify.merchant` and its delay and dead-letter queues hold. */
export async function notifyQueueDepth(vhost: string): Promise<number> {
  let total = 0;
  for (const [name, depth] of await queueDepths(vhost)) if (name.startsWith('notify.merchant')) total += depth;
  return total;
}

/**
 * Waits (bounded) until no notification is queued, waiting out or mid-run, so a platform is
 * closed between attempts rather than in the middle of one. Gives up quietly: it only tidies.
 */
export async function quiesce(vhost: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(async () => (await notifyQueueDepth(vhost)) === 0, { what: 'notify queues to drain', timeoutMs, intervalMs: 250 }).catch(
    () => undefined,
  );
}
