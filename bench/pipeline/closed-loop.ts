import { createHmac } from 'node:crypto';
import { Agent, createServer, request, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const REQUEST_TIMEOUT_MS = 30_000;
const STEP_TIMEOUT_MS = 60_000;

export interface Answer {
  status: number;
  text: string;
}

/** Keep-alive HTTP/1.1 with node:http: lighter than fetch, so the load generator takes less of the machine. */
export class LoadClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 512, noDelay: true });

  send(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const outgoing = request(url, {
        method,
        agent: this.agent,
        headers: body === undefined ? headers : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
        timeout: REQUEST_TIMEOUT_MS,
      }, (incoming) => {
        let text = '';
        incoming.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, text })).on('error', reject);
      });
      outgoing.on('timeout', () => outgoing.destroy(new Error(`${method} ${url}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      outgoing.on('error', reject).end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * The merchant endpoint, in the load generator: answers `success` and resolves the
 * waiter of the order the notification is about (matched on body.orderId).
 */
export class Merchant {
  received = 0;
  duplicates = 0;
  /** How long it takes to answer; changed mid-run by the slowdown scenario. */
  answerDelayMs = 0;
  private readonly waiting = new Map<string, (at: number) => void>();
  private readonly notified = new Set<string>();
  private server: Server;
  private port: number;

  static async start(host: string, port: number): Promise<Merchant> {
    const merchant = new Merchant();
    merchant.server = createServer((incoming, response) => {
      let raw = '';
      incoming.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk));
      incoming.on('end', () => {
        if (merchant.answerDelayMs > 0) setTimeout(() => merchant.answer(raw, response), merchant.answerDelayMs);
        else merchant.answer(raw, response);
      });
    });
    await new Promise<void>((resolve) => merchant.server.listen(port, host, resolve));
    merchant.port = (merchant.server.address() as AddressInfo).port;
    return merchant;
  }

  /** `success`, and the notification's order counted as notified when the answer goes out. */
  private answer(raw: string, response: ServerResponse): void {
    const at = performance.now();
    response.end('success');
    let orderId: unknown;
    try {
      orderId = JSON.parse(raw).orderId;
    } catch {
      return;
    }
    if (typeof orderId === 'string') this.arrived(orderId, at);
  }

  /** The URL a platform on this machine reaches the merchant at, unless told otherwise. */
  get localUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Registered before the payment is sent, so the notification cannot come first. */
  expect(orderId: string): Promise<number> {
    return new Promise((resolve) => this.waiting.set(orderId, resolve));
  }

  forget(orderId: string): void {
    this.waiting.delete(orderId);
  }

  private arrived(orderId: string, at: number): void {
    this.received += 1;
    if (this.notified.has(orderId)) this.duplicates += 1;
    this.notified.add(orderId);
    const waiter = this.waiting.get(orderId);
    this.waiting.delete(orderId);
    waiter?.(at);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

export interface Target {
  url: string;
  callbackSecret: string;
  sku: string;
  notifyUrl: string;
}

export interface OrderTiming {
  confirmMs: number;
  notifyMs: number;
  /** From the callback's sending to its answer: the part of `notifyMs` the merchant's request cannot start before. */
  callbackMs: number;
  totalMs: number;
  polls: number;
}

export interface LoopOptions {
  clients: number;
  /** Orders done, and time passed, before the window opens. */
  warmup: number;
  warmupMs: number;
  orders: number;
  pollMs: number;
  /** Called when the window opens; the load goes on meanwhile. */
  atStart(): Promise<void>;
  /** Called when the last measured order is done, while the load still runs; then no new order starts. */
  atEnd(): Promise<void>;
  onCompleted?(completed: number): void;
}

export interface LoopResult {
  timings: OrderTiming[];
  seconds: number;
}

/**
 * C clients, each: POST /orders → poll GET /orders/:id until CONFIRMED → signed
 * POST /payments/callback → wait for the merchant's notification; again. The window
 * opens once the warm-up is over and closes when `orders` more orders are done; the
 * clients keep going until then, so both edges are measured under full load.
 */
export async function closedLoop(client: LoadClient, merchant: Merchant, target: Target, options: LoopOptions): Promise<LoopResult> {
  const timings: OrderTiming[] = [];
  const marks: Promise<void>[] = [];
  const began = performance.now();
  let completed = 0;
  let openedWith: number | undefined;
  let opened = 0;
  let closed = 0;
  let stop = false;
  const open = () => {
    openedWith = completed;
    opened = performance.now();
    marks.push(options.atStart());
  };
  if (options.warmup === 0 && options.warmupMs === 0) open();
  const runClient = async () => {
    while (!stop) {
      const timing = await oneOrder(client, merchant, target, options.pollMs);
      completed += 1;
      if (openedWith === undefined) {
        if (completed >= options.warmup && performance.now() - began >= options.warmupMs) open();
      } else if (completed - openedWith <= options.orders) {
        timings.push(timing);
        if (completed - openedWith === options.orders) {
          closed = performance.now();
          stop = true;
          marks.push(options.atEnd());
        }
      }
      options.onCompleted?.(completed);
    }
  };
  const clients = Array.from({ length: options.clients }, () =>
    runClient().catch((error: unknown) => {
      stop = true;
      throw error;
    }),
  );
  await Promise.all(clients);
  await Promise.all(marks);
  return { timings, seconds: (closed - opened) / 1000 };
}

/**
 * One order through the loop. With no merchant to wait on (its endpoint never answers, in
 * the noisy-neighbour run) it is done once paid, and its notify time is NaN.
 */
export async function oneOrder(client: LoadClient, merchant: Merchant | undefined, target: Target, pollMs: number): Promise<OrderTiming> {
  const begin = performance.now();
  const { order, polls } = await confirmedOrder(client, target, pollMs);
  const confirmed = performance.now();
  const { paying, answered, arrived } = await payAndAwait(client, merchant, target, order);
  const callbackMs = answered - paying;
  if (arrived === undefined) return { confirmMs: confirmed - begin, notifyMs: Number.NaN, callbackMs, totalMs: performance.now() - begin, polls };
  return { confirmMs: confirmed - begin, notifyMs: arrived - paying, callbackMs, totalMs: arrived - begin, polls };
}

/** An order placed and polled until it is CONFIRMED. */
export async function confirmedOrder(client: LoadClient, target: Target, pollMs: number): Promise<{ order: { id: string; totalAmount: number }; polls: number }> {
  const begin = performance.now();
  const created = await client.send('POST', `${target.url}/orders`, JSON.stringify({
    merchantId: 'bench',
    items: [{ sku: target.sku, quantity: 1 }],
    notifyUrl: target.notifyUrl,
  }));
  if (created.status !== 201) throw new Error(`POST /orders: ${created.status} ${created.text}`);
  const order = JSON.parse(created.text) as { id: string; totalAmount: number };

  let polls = 0;
  for (;;) {
    await sleep(pollMs);
    polls += 1;
    const answer = await client.send('GET', `${target.url}/orders/${order.id}`);
    if (answer.status !== 200) throw new Error(`GET /orders/${order.id}: ${answer.status} ${answer.text}`);
    const { status } = JSON.parse(answer.text) as { status: string };
    if (status === 'CONFIRMED') return { order, polls };
    if (status !== 'PENDING') throw new Error(`order ${order.id} became ${status}, not CONFIRMED (stock used up?)`);
    if (performance.now() - begin > STEP_TIMEOUT_MS) throw new Error(`order ${order.id} not CONFIRMED within ${STEP_TIMEOUT_MS} ms`);
  }
}

/**
 * Pays a confirmed order by the gateway's signed callback and waits for the merchant to have
 * its notification: when the payment went out, and when the merchant answered (undefined
 * with no merchant to wait on).
 */
export async function payAndAwait(
  client: LoadClient,
  merchant: Merchant | undefined,
  target: Target,
  order: { id: string; totalAmount: number },
): Promise<{ paying: number; answered: number; arrived?: number }> {
  const notified = merchant?.expect(order.id);
  const rawBody = JSON.stringify({ orderId: order.id, tradeNo: `bench-${order.id}`, status: 'TRADE_SUCCESS', amount: order.totalAmount });
  const signature = createHmac('sha256', target.callbackSecret).update(rawBody).digest('hex');
  const paying = performance.now();
  const paid = await client.send('POST', `${target.url}/payments/callback`, rawBody, { 'x-signature': signature });
  const answered = performance.now();
  if (paid.status !== 200 || paid.text.trim() !== 'success') {
    merchant?.forget(order.id);
    throw new Error(`POST /payments/callback for ${order.id}: ${paid.status} ${paid.text}`);
  }
  if (!merchant || !notified) return { paying, answered };
  const giveUp = new AbortController();
  const timeout = sleep(STEP_TIMEOUT_MS, 'timeout' as const, { ref: false, signal: giveUp.signal }).catch(() => 'timeout' as const);
  const arrived = await Promise.race([notified, timeout]);
  giveUp.abort();
  if (arrived === 'timeout') {
    merchant.forget(order.id);
    throw new Error(`merchant not notified of order ${order.id} within ${STEP_TIMEOUT_MS} ms`);
  }
  return { paying, answered, arrived };
}
