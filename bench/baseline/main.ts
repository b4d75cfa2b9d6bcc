/**
 * The yardstick: the same business steps as backstop with the same durable guarantees,
 * written by hand with node:http, pg and amqplib and nothing else. Every state change
 * commits with its outbox row; events go out after commit with publisher confirms and
 * the row is deleted on the broker's ack; a relay re-publishes rows left behind; every
 * consumer records (handler, message id) in the transaction of its effect.
 * What it leaves out (ops, retry tiers, endpoints, timeouts) is not on the benchmark's path.
 *
 * Environment: DATABASE_URL, RABBITMQ_URL, PORT (0: any), ADMIN_TOKEN,
 * PAYMENT_CALLBACK_SECRET, NOTIFY_SIGNING_SECRET (whsec_<base64>). Prints `listening <url>`.
 */
import { connect, type Channel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type PoolClient } from 'pg';

const EXCHANGE = 'order.events';
const PREFETCH = 20;
const RELAY_INTERVAL_MS = 1_000;
const NOTIFY_TIMEOUT_MS = 5_000;
const RETRY_AFTER_MS = 1_000;
const BODY_LIMIT = 64 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const environment = process.env;
const adminToken = environment.ADMIN_TOKEN ?? '';
const callbackSecret = environment.PAYMENT_CALLBACK_SECRET ?? '';
const signingKey = Buffer.from((environment.NOTIFY_SIGNING_SECRET ?? '').replace(/^whsec_/, ''), 'base64');
const pool = new Pool({ connectionString: environment.DATABASE_URL, max: 20 });

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS stock (sku text PRIMARY KEY, available integer NOT NULL, unit_price bigint NOT NULL);
  CREATE TABLE IF NOT EXISTS orders (
    id uuid PRIMARY KEY, merchant_id text NOT NULL, status text NOT NULL, total_amount bigint NOT NULL,
    currency text NOT NULL, notify_url text NOT NULL, trade_no text, paid_at timestamptz, created_at timestamptz NOT NULL);
  CREATE TABLE IF NOT EXISTS order_items (
    order_id uuid NOT NULL REFERENCES orders (id), line integer NOT NULL, sku text NOT NULL,
    quantity integer NOT NULL, unit_price bigint NOT NULL, PRIMARY KEY (order_id, line));
  CREATE TABLE IF NOT EXISTS outbox (
    id uuid PRIMARY KEY, routing_key text NOT NULL, envelope jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE IF NOT EXISTS processed_messages (
    handler text NOT NULL, message_id uuid NOT NULL, processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (handler, message_id));
  CREATE TABLE IF NOT EXISTS deliveries (
    event_id uuid PRIMARY KEY, order_id uuid NOT NULL, http_status integer NOT NULL, delivered_at timestamptz NOT NULL DEFAULT now());`;

interface Envelope {
  id: string;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}
type Outcome = 'done' | 'skipped';

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

// ---- reliable publish: outbox row in the transaction, confirmed publish after commit ----

let publisher: ConfirmChannel;
/** Rows whose after-commit publish is under way: the relay leaves them alone. */
const publishing = new Set<string>();

type Emit = (type: string, data: Envelope['data']) => Promise<void>;

async function transaction<T>(work: (client: PoolClient, emit: Emit) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const emitted: Envelope[] = [];
  const emit = async (type: string, data: Envelope['data']) => {
    const envelope = { id: randomUUID(), type, occurredAt: new Date().toISOString(), data };
    await client.query('INSERT INTO outbox (id, routing_key, envelope) VALUES ($1, $2, $3)', [envelope.id, type, envelope]);
    emitted.push(envelope);
    publishing.add(envelope.id);
  };
  try {
    await client.query('BEGIN');
    const result = await work(client, emit);
    await client.query('COMMIT');
    for (const envelope of emitted) void publishAndForget(envelope);
    return result;
  } catch (error) {
    for (const envelope of emitted) publishing.delete(envelope.id);
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

function publish(envelope: Envelope): Promise<void> {
  return new Promise((resolve, reject) =>
    publisher.publish(EXCHANGE, envelope.type, Buffer.from(JSON.stringify(envelope)), {
      persistent: true,
      contentType: 'application/json',
      messageId: envelope.id,
      type: envelope.type,
    }, (error) => (error ? reject(error) : resolve())),
  );
}

async function publishAndForget(envelope: Envelope): Promise<void> {
  try {
    await publish(envelope);
    await pool.query('DELETE FROM outbox WHERE id = $1', [envelope.id]);
  } catch (error) {
    console.warn(`publish of ${envelope.id} failed, the relay will retry: ${(error as Error).message}`);
  } finally {
    publishing.delete(envelope.id);
  }
}

async function relay(): Promise<void> {
  const { rows } = await pool.query<{ id: string; envelope: Envelope }>('SELECT id, envelope FROM outbox ORDER BY created_at LIMIT 200');
  for (const { id, envelope } of rows) {
    if (publishing.has(id)) continue;
    publishing.add(id);
    await publishAndForget(envelope);
  }
}

// ---- consumers: (handler, message id) commits with the effect ----

async function once(client: PoolClient, handler: string, messageId: string): Promise<boolean> {
  const claimed = await client.query(
    'INSERT INTO processed_messages (handler, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [handler, messageId]);
  return claimed.rowCount === 1;
}

async function reserveStock(event: Envelope): Promise<Outcome> {
  const { id: orderId, items } = event.data as { id: string; items: { sku: string; quantity: number }[] };
  return transaction(async (client, emit) => {
    if (!(await once(client, 'stock.reserve', event.id))) return 'skipped';
    const wanted = new Map<string, number>();
    for (const { sku, quantity } of items) wanted.set(sku, (wanted.get(sku) ?? 0) + quantity);
    // All or nothing: take every SKU that has enough; if one had not, put back what was taken.
    const taken = await client.query<{ sku: string }>(
      `UPDATE stock SET available = available - wanted.quantity
         FROM unnest($1::text[], $2::int[]) AS wanted (sku, quantity)
        WHERE stock.sku = wanted.sku AND stock.available >= wanted.quantity RETURNING stock.sku`,
      [[...wanted.keys()], [...wanted.values()]],
    );
    if (taken.rowCount === wanted.size) {
      await emit('stock.reserved', { orderId, items });
      return 'done';
    }
    if (taken.rows.length > 0) {
      const skus = taken.rows.map((row) => row.sku);
      await client.query(
        `UPDATE stock SET available = available + wanted.quantity
           FROM unnest($1::text[], $2::int[]) AS wanted (sku, quantity) WHERE stock.sku = wanted.sku`,
        [skus, skus.map((sku) => wanted.get(sku))],
      );
    }
    await emit('stock.rejected', { orderId, items, reason: 'not enough stock' });
    return 'done';
  });
}

async function applyStockResult(event: Envelope): Promise<Outcome> {
  const { orderId, reason } = event.data as { orderId: string; reason?: string };
  return transaction(async (client, emit) => {
    if (!(await once(client, 'orders.stock-result', event.id))) return 'skipped';
    const next = event.type === 'stock.reserved' ? 'CONFIRMED' : 'REJECTED';
    const changed = await client.query(`UPDATE orders SET status = $2 WHERE id = $1 AND status = 'PENDING'`, [orderId, next]);
    if (changed.rowCount === 0) return 'skipped';
    await emit(next === 'CONFIRMED' ? 'order.confirmed' : 'order.rejected', next === 'CONFIRMED' ? { orderId } : { orderId, reason });
    return 'done';
  });
}

async function notifyMerchant(event: Envelope): Promise<Outcome> {
  const { orderId, tradeNo, paidAt } = event.data as { orderId: string; tradeNo: string; paidAt: string };
  const { rows: [order] } = await pool.query(
    `SELECT merchant_id, total_amount, currency, notify_url,
            EXISTS (SELECT 1 FROM processed_messages WHERE handler = 'notify.merchant' AND message_id = $2) AS done
       FROM orders WHERE id = $1`,
    [orderId, event.id],
  );
  if (!order) throw new Error(`order ${orderId} does not exist`);
  if (order.done) return 'skipped';
  const body = JSON.stringify({
    id: event.id, type: event.type, orderId, merchantId: order.merchant_id, status: 'PAID',
    totalAmount: Number(order.total_amount), currency: order.currency, tradeNo, paidAt,
  });
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', signingKey).update(`${event.id}.${timestamp}.${body}`).digest('base64');
  // No transaction is open while the merchant answers.
  const answer = await post(order.notify_url, body, {
    'webhook-id': event.id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}`,
  });
  if (answer.status < 200 || answer.status > 299 || answer.body.trim().toLowerCase() !== 'success') {
    throw new Error(`merchant answered ${answer.status}`);
  }
  return transaction(async (client) => {
    if (!(await once(client, 'notify.merchant', event.id))) return 'skipped';
    await client.query('INSERT INTO deliveries (event_id, order_id, http_status) VALUES ($1, $2, $3)', [event.id, orderId, answer.status]);
    return 'done';
  });
}

function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS),
    }, (incoming) => {
      let text = '';
      incoming.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: text })).on('error', reject);
    });
    outgoing.on('error', reject).end(body);
  });
}

let handling = 0;

async function consume(channel: Channel, queue: string, routingKeys: string[], handle: (event: Envelope) => Promise<Outcome>) {
  await channel.assertQueue(queue, { durable: true });
  for (const key of routingKeys) await channel.bindQueue(queue, EXCHANGE, key);
  const { consumerTag } = await channel.consume(queue, (message: ConsumeMessage | null) => {
    if (!message) return;
    handling += 1;
    Promise.resolve()
      .then(() => handle(JSON.parse(message.content.toString()) as Envelope))
      .then(
        () => channel.ack(message),
        async (error: Error) => {
          console.warn(`${queue} failed on ${message.properties.messageId}: ${error.message}`);
          await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_MS));
          channel.nack(message, false, true);
        },
      )
      .catch(() => undefined) // the channel closed under it: the broker redelivers
      .finally(() => (handling -= 1));
  });
  return consumerTag;
}

// ---- HTTP ----

async function route(method: string, path: string, headers: IncomingMessage['headers'], raw: string): Promise<[number, unknown]> {
  const [, first, second, third] = path.split('/');
  if (method === 'PUT' && first === 'admin' && second === 'stock' && third) {
    if (headers.authorization !== `Bearer ${adminToken}`) throw new HttpError(401, 'admin token required');
    const { available, unitPrice } = parse(raw) as { available: number; unitPrice: number };
    if (!Number.isInteger(available) || available < 0 || !Number.isInteger(unitPrice) || unitPrice < 0) {
      throw new HttpError(400, 'available and unitPrice must be integers >= 0');
    }
    const sku = decodeURIComponent(third);
    await pool.query(
      `INSERT INTO stock (sku, available, unit_price) VALUES ($1, $2, $3)
       ON CONFLICT (sku) DO UPDATE SET available = $2, unit_price = $3`,
      [sku, available, unitPrice],
    );
    return [200, { sku, available, unitPrice }];
  }
  if (method === 'POST' && first === 'orders' && !second) return [201, await placeOrder(parse(raw))];
  if (method === 'GET' && first === 'orders' && second && !third) return [200, await getOrder(second)];
  if (method === 'POST' && first === 'payments' && second === 'callback') {
    return [200, await paymentCallback(raw, headers['x-signature'])];
  }
  throw new HttpError(404, `no route ${method} ${path}`);
}

interface OrderRequest {
  merchantId: string;
  items: { sku: string; quantity: number }[];
  notifyUrl: string;
  currency?: string;
}

function isOrderRequest(body: any): body is OrderRequest {
  const { merchantId, items, notifyUrl, currency } = body ?? {};
  return (
    typeof merchantId === 'string' && merchantId.length > 0 &&
    Array.isArray(items) && items.length >= 1 && items.length <= 100 &&
    items.every((item) => typeof item?.sku === 'string' && Number.isInteger(item.quantity) && item.quantity >= 1 && item.quantity <= 1_000) &&
    typeof notifyUrl === 'string' && /^https?:\/\/\S+$/.test(notifyUrl) &&
    (currency === undefined || typeof currency === 'string')
  );
}

async function placeOrder(body: unknown) {
  if (!isOrderRequest(body)) {
    throw new HttpError(400, 'merchantId, items [{sku, quantity 1..1000}] (1..100) and an http(s) notifyUrl are required');
  }
  const { items } = body;
  const order = {
    id: randomUUID(),
    status: 'PENDING',
    merchantId: body.merchantId,
    items: [] as { sku: string; quantity: number; unitPrice: number }[],
    totalAmount: 0,
    currency: body.currency ?? 'CNY',
    notifyUrl: body.notifyUrl,
    createdAt: new Date().toISOString(),
  };
  await transaction(async (client, emit) => {
    const { rows } = await client.query<{ sku: string; unit_price: string }>(
      'SELECT sku, unit_price FROM stock WHERE sku = ANY($1)', [items.map((item) => item.sku)]);
    const prices = new Map(rows.map((row) => [row.sku, Number(row.unit_price)]));
    const unknown = items.filter((item) => !prices.has(item.sku)).map((item) => item.sku);
    if (unknown.length > 0) throw new HttpError(422, `unknown SKU ${unknown.join(', ')}`);
    order.items = items.map(({ sku, quantity }) => ({ sku, quantity, unitPrice: prices.get(sku)! }));
    order.totalAmount = order.items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
    if (!Number.isSafeInteger(order.totalAmount)) throw new HttpError(422, 'totalAmount too large');
    await client.query(
      'INSERT INTO orders (id, merchant_id, status, total_amount, currency, notify_url, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [order.id, order.merchantId, order.status, order.totalAmount, order.currency, order.notifyUrl, order.createdAt],
    );
    await client.query(
      `INSERT INTO order_items (order_id, line, sku, quantity, unit_price)
       SELECT $1, line, sku, quantity, unit_price
         FROM unnest($2::text[], $3::int[], $4::bigint[]) WITH ORDINALITY AS item (sku, quantity, unit_price, line)`,
      [order.id, ...(['sku', 'quantity', 'unitPrice'] as const).map((field) => order.items.map((item) => item[field]))],
    );
    await emit('order.created', order);
  });
  return order;
}

async function getOrder(id: string) {
  if (!UUID.test(id)) throw new HttpError(400, 'id must be a UUID');
  const { rows: [order] } = await pool.query(
    `SELECT o.*, (SELECT json_agg(json_build_object('sku', sku, 'quantity', quantity, 'unitPrice', unit_price) ORDER BY line)
                    FROM order_items WHERE order_id = o.id) AS items
       FROM orders o WHERE o.id = $1`,
    [id],
  );
  if (!order) throw new HttpError(404, `order ${id} not found`);
  return {
    id: order.id, status: order.status, merchantId: order.merchant_id, items: order.items, totalAmount: Number(order.total_amount),
    currency: order.currency, notifyUrl: order.notify_url, createdAt: order.created_at.toISOString(),
    payment: order.trade_no ? { status: 'PAID', tradeNo: order.trade_no, paidAt: order.paid_at.toISOString() } : null,
  };
}

async function paymentCallback(raw: string, signature: string | string[] | undefined): Promise<string> {
  const expected = createHmac('sha256', callbackSecret).update(raw).digest();
  const given = Buffer.from(typeof signature === 'string' ? signature : '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new HttpError(401, 'bad signature');
  const { orderId, tradeNo, status, amount } = parse(raw) as { orderId: string; tradeNo: string; status: string; amount: number };
  if (!UUID.test(orderId) || typeof tradeNo !== 'string' || status !== 'TRADE_SUCCESS' || !Number.isSafeInteger(amount)) {
    throw new HttpError(400, 'orderId, tradeNo, status TRADE_SUCCESS and amount are required');
  }
  await transaction(async (client, emit) => {
    const paid = await client.query<{ currency: string; paid_at: Date }>(
      `UPDATE orders SET status = 'PAID', trade_no = $2, paid_at = now()
        WHERE id = $1 AND status = 'CONFIRMED' AND total_amount = $3 RETURNING currency, paid_at`,
      [orderId, tradeNo, amount],
    );
    if (paid.rowCount === 1) {
      const { currency, paid_at: paidAt } = paid.rows[0];
      return emit('order.paid', { orderId, tradeNo, amount, currency, paidAt: paidAt.toISOString() });
    }
    // Not payable now: say why (a duplicate callback for a paid order is answered success).
    const { rows: [order] } = await client.query('SELECT status, total_amount FROM orders WHERE id = $1', [orderId]);
    if (!order) throw new HttpError(404, `order ${orderId} not found`);
    if (Number(order.total_amount) !== amount) throw new HttpError(400, `amount ${amount} differs from the order's ${order.total_amount}`);
    if (order.status !== 'PAID') throw new HttpError(409, `order ${orderId} is ${order.status}`);
  });
  return 'success';
}

function parse(raw: string): any {
  try {
    return JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

function serve(request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= BODY_LIMIT) chunks.push(chunk);
  });
  request.on('end', () => {
    const answer = size > BODY_LIMIT
      ? Promise.reject(new HttpError(413, 'body too large'))
      : route(request.method ?? 'GET', (request.url ?? '/').split('?')[0], request.headers, Buffer.concat(chunks).toString('utf8'));
    answer.then(
      ([status, body]) => {
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        response.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' }).end(text);
      },
      (error: Error) => {
        const status = error instanceof HttpError ? error.status : 500;
        if (status === 500) console.error(error);
        const body = JSON.stringify({ statusCode: status, error: 'Error', message: error.message });
        response.writeHead(status, { 'content-type': 'application/json' }).end(body);
      },
    );
  });
}

async function main(): Promise<void> {
  await pool.query(SCHEMA);
  // TCP_NODELAY: without it Nagle's algorithm holds a publish or an ack back up to 40 ms.
  const connection = await connect(environment.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672', { noDelay: true });
  publisher = await connection.createConfirmChannel();
  await publisher.assertExchange(EXCHANGE, 'topic', { durable: true });
  const consumer = await connection.createChannel();
  await consumer.prefetch(PREFETCH);
  const consumers = [
    await consume(consumer, 'stock.reserve', ['order.created'], reserveStock),
    await consume(consumer, 'orders.stock-result', ['stock.reserved', 'stock.rejected'], applyStockResult),
    await consume(consumer, 'notify.merchant', ['order.paid'], notifyMerchant),
  ];
  const relayTimer = setInterval(() => relay().catch((error: Error) => console.warn(`relay: ${error.message}`)), RELAY_INTERVAL_MS);

  const server = createServer(serve);
  await new Promise<void>((resolve) => server.listen(Number(environment.PORT ?? 0), '127.0.0.1', resolve));
  console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`);

  process.once('SIGTERM', async () => {
    clearInterval(relayTimer);
    server.close();
    server.closeAllConnections();
    for (const tag of consumers) await consumer.cancel(tag);
    for (let waited = 0; (handling > 0 || publishing.size > 0) && waited < 5_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await connection.close().catch(() => undefined);
    await pool.end();
    process.exit(0);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
