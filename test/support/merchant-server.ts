import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface ReceivedNotification {
  at: number;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: Record<string, unknown>;
}

type Answer = (request: ReceivedNotification, response: ServerResponse) => void;

/** A real merchant endpoint on 127.0.0.1 that records every request and answers as told. */
export class MerchantServer {
  readonly received: ReceivedNotification[] = [];
  private answer: Answer = (_, response) => response.end('success');
  private server: Server;
  url: string;
  /** TCP connections opened to it: fewer than requests means the platform kept them alive. */
  connections = 0;
  /** Requests not answered yet, and the most there ever were at once. */
  open = 0;
  mostOpen = 0;

  static async start(): Promise<MerchantServer> {
    const merchant = new MerchantServer();
    merchant.server = createServer((request, response) => {
      merchant.open += 1;
      merchant.mostOpen = Math.max(merchant.mostOpen, merchant.open);
      response.on('close', () => (merchant.open -= 1));
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const received = { at: Date.now(), headers: request.headers, rawBody, body: JSON.parse(rawBody || '{}') };
        merchant.received.push(received);
        merchant.answer(received, response);
      });
    });
    merchant.server.on('connection', () => (merchant.connections += 1));
    await new Promise<void>((resolve) => merchant.server.listen(0, '127.0.0.1', resolve));
    merchant.url = `http://127.0.0.1:${(merchant.server.address() as AddressInfo).port}`;
    return merchant;
  }

  answerWith(answer: Answer): void {
    this.answer = answer;
  }

  forOrder(orderId: string): ReceivedNotification[] {
    return this.received.filter((request) => request.body.orderId === orderId);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** The merchant servers one test file starts, stopped together at its end. */
export class MerchantServers {
  readonly started: MerchantServer[] = [];

  async start(): Promise<MerchantServer> {
    const merchant = await MerchantServer.start();
    this.started.push(merchant);
    return merchant;
  }

  async stopAll(): Promise<void> {
    for (const merchant of this.started) await merchant.stop();
  }
}
