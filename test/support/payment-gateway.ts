import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * How the fake gateway answers `POST /charges` for one order:
 * - `pay`: records the charge, answers `200 { status: PAID, tradeNo }`;
 * - `decline`: records a decline, answers `200 { status: DECLINED, reason }`;
 * - `hang-after-charge`: records the charge and never answers (the caller times out);
 * - `down-after-charge`: records the charge, then breaks the connection without an answer;
 * - `fail-5xx`: charges nothing, answers 503;
 * - `down`: charges nothing, breaks the connection.
 */
export type ChargeBehaviour = 'pay' | 'decline' | 'hang-after-charge' | 'down-after-charge' | 'fail-5xx' | 'down';

/** How it answers `GET /charges/:orderId`: from what it recorded (`answer`), with a 503, or by breaking the connection. */
export type QueryBehaviour = 'answer' | 'fail-5xx' | 'down';

export interface OrderScript {
  charge: ChargeBehaviour;
  query: QueryBehaviour;
}

export interface GatewayCharge {
  orderId: string;
  status: 'PAID' | 'DECLINED';
  tradeNo: string;
  amount: number;
  currency: string;
  at: number;
}

export interface GatewayRequest {
  kind: 'charge' | 'query';
  orderId: string;
  at: number;
  body?: Record<string, unknown>;
  /** The HTTP status answered; undefined while held or when never answered (hang, broken connection). */
  answered?: number;
}

const DEFAULT_SCRIPT: OrderScript = { charge: 'pay', query: 'answer' };

/**
 * A payment gateway that speaks SPEC §7's protocol on 127.0.0.1, scripted per order, and
 * records every request and every charge, so a test knows exactly what the gateway did
 * (e.g. "it charged, and then the platform died"). `hold` keeps an order's answers back
 * until `release`, so several outcome paths can be lined up and let go at once.
 */
export class FakeGateway {
  readonly requests: GatewayRequest[] = [];
  readonly charges = new Map<string, GatewayCharge>();
  private readonly scripts = new Map<string, OrderScript>();
  private readonly holds = new Map<string, { released: Promise<void>; release: () => void }>();
  private server: Server;
  url: string;

  static async start(): Promise<FakeGateway> {
    const gateway = new FakeGateway();
    gateway.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        gateway.handle(request, Buffer.concat(chunks).toString('utf8'), response).catch(() => response.destroy());
      });
    });
    await new Promise<void>((resolve) => gateway.server.listen(0, '127.0.0.1', resolve));
    gateway.url = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
    return gateway;
  }

  /** Sets how this order's charge and queries are answered (unscripted orders: pay, answer). */
  script(orderId: string, script: Partial<OrderScript>): void {
    this.scripts.set(orderId, { ...this.scriptOf(orderId), ...script });
  }

  /** Holds back every answer about this order (after a charge is recorded) until `release`. */
  hold(orderId: string): void {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.holds.set(orderId, { released, release });
  }

  release(orderId: string): void {
    const hold = this.holds.get(orderId);
    this.holds.delete(orderId);
    hold?.release();
  }

  chargeRequests(orderId: string): GatewayRequest[] {
    return this.requests.filter((request) => request.kind === 'charge' && request.orderId === orderId);
  }

  queries(orderId: string): GatewayRequest[] {
    return this.requests.filter((request) => request.kind === 'query' && request.orderId === orderId);
  }

  async stop(): Promise<void> {
    for (const orderId of [...this.holds.keys()]) this.release(orderId);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private scriptOf(orderId: string): OrderScript {
    return this.scripts.get(orderId) ?? DEFAULT_SCRIPT;
  }

  private async handle(request: IncomingMessage, rawBody: string, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    const queried = /^\/charges\/([^/]+)$/.exec(path);
    if (request.method === 'POST' && path === '/charges') return this.charge(JSON.parse(rawBody || '{}'), response);
    if (request.method === 'GET' && queried) return this.query(decodeURIComponent(queried[1]), response);
    this.answer(response, 404, { message: `no route ${request.method} ${path}` });
  }

  private async charge(body: { orderId: string; amount: number; currency: string }, response: ServerResponse): Promise<void> {
    const record: GatewayRequest = { kind: 'charge', orderId: body.orderId, at: Date.now(), body };
    this.requests.push(record);
    const { charge } = this.scriptOf(body.orderId);
    if (charge === 'down') return void response.socket?.destroy();
    if (charge === 'fail-5xx') return this.answer(response, 503, { message: 'gateway unavailable' }, record);
    // A real gateway charges an order once: a repeated charge answers what the first one did.
    let recorded = this.charges.get(body.orderId);
    if (!recorded || recorded.status !== 'PAID') {
      recorded = {
        orderId: body.orderId,
        status: charge === 'decline' ? 'DECLINED' : 'PAID',
        tradeNo: `GW${Date.now()}${randomBytes(4).toString('hex')}`,
        amount: body.amount,
        currency: body.currency,
        at: Date.now(),
      };
      this.charges.set(body.orderId, recorded);
    }
    if (charge === 'hang-after-charge') return; // keeps the connection open and never answers
    if (charge === 'down-after-charge') return void response.socket?.destroy();
    await this.holds.get(body.orderId)?.released;
    if (recorded.status === 'DECLINED') return this.answer(response, 200, { status: 'DECLINED', reason: 'insufficient funds' }, record);
    this.answer(response, 200, { status: 'PAID', tradeNo: recorded.tradeNo }, record);
  }

  private async query(orderId: string, response: ServerResponse): Promise<void> {
    const record: GatewayRequest = { kind: 'query', orderId, at: Date.now() };
    this.requests.push(record);
    const { query } = this.scriptOf(orderId);
    if (query === 'down') return void response.socket?.destroy();
    if (query === 'fail-5xx') return this.answer(response, 503, { message: 'gateway unavailable' }, record);
    await this.holds.get(orderId)?.released;
    const recorded = this.charges.get(orderId);
    if (!recorded) return this.answer(response, 404, { message: `no charge for ${orderId}` }, record);
    this.answer(response, 200, recorded.status === 'PAID' ? { status: 'PAID', tradeNo: recorded.tradeNo } : { status: 'DECLINED' }, record);
  }

  private answer(response: ServerResponse, status: number, body: unknown, record?: GatewayRequest): void {
    if (record) record.answered = status;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }
}
