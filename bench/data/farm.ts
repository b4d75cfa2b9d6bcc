import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * Many merchant endpoints in the load generator: one `node:http` server per origin
 * (`http://127.0.0.1:<port>`, a port each), all answering `success`, so the platform keeps a
 * connection pool per origin as it would for as many merchants. Counts the connections the
 * platform holds open to them (its keep-alive sockets) and resolves the waiter of each order
 * whose notification arrives.
 */
export class MerchantFarm {
  readonly origins: string[] = [];
  /** Connections open now, and the most at once since the last resetPeak. */
  open = 0;
  peakOpen = 0;
  received = 0;
  private readonly servers: Server[] = [];
  private readonly waiting = new Map<string, (at: number) => void>();

  static async start(count: number): Promise<MerchantFarm> {
    const farm = new MerchantFarm();
    for (let index = 0; index < count; index += 1) {
      const server = createServer((incoming, response) => {
        let raw = '';
        incoming.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk));
        incoming.on('end', () => {
          const at = performance.now();
          response.end('success');
          farm.received += 1;
          try {
            const { orderId } = JSON.parse(raw) as { orderId?: unknown };
            if (typeof orderId !== 'string') return;
            const waiter = farm.waiting.get(orderId);
            farm.waiting.delete(orderId);
            waiter?.(at);
          } catch {
            /* not a notification */
          }
        });
      });
      server.on('connection', (socket) => {
        farm.open += 1;
        farm.peakOpen = Math.max(farm.peakOpen, farm.open);
        socket.once('close', () => (farm.open -= 1));
      });
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
      farm.servers.push(server);
      farm.origins.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    return farm;
  }

  /** Registered before the payment is sent, so the notification cannot come first. */
  expect(orderId: string): Promise<number> {
    return new Promise((resolve) => this.waiting.set(orderId, resolve));
  }

  forget(orderId: string): void {
    this.waiting.delete(orderId);
  }

  resetPeak(): void {
    this.peakOpen = this.open;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.servers.map((server) => {
        server.closeAllConnections();
        return new Promise((resolve) => server.close(resolve));
      }),
    );
  }
}
