import { AddressInfo, createServer, Server, Socket } from 'node:net';

/**
 * A TCP proxy in front of the test broker that can stop passing the broker's side on: the
 * platform's publishes still reach RabbitMQ, but no confirm, delivery or heartbeat comes
 * back, as with a broker that blocks publishers or hangs. Scoped to the connections that
 * go through it, so other tests sharing the broker are untouched.
 */
export class StallingProxy {
  private readonly upstreams = new Set<Socket>();
  private readonly sockets = new Set<Socket>();
  private stalled = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<StallingProxy> {
    let proxy: StallingProxy;
    const server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(target.port, target.host);
      proxy.track(client, upstream);
      client.pipe(upstream);
      // By hand rather than pipe(), so that pause() alone holds the broker's side back.
      upstream.on('data', (chunk) => client.write(chunk));
      if (proxy.stalled) upstream.pause();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new StallingProxy(server, (server.address() as AddressInfo).port);
    return proxy;
  }

  /** From now on nothing the broker sends reaches the platform. */
  stall(): void {
    this.stalled = true;
    for (const upstream of this.upstreams) upstream.pause();
  }

  /** The broker's side flows again, including everything held back meanwhile. */
  resume(): void {
    this.stalled = false;
    for (const upstream of this.upstreams) upstream.resume();
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private track(client: Socket, upstream: Socket): void {
    this.upstreams.add(upstream);
    this.sockets.add(client).add(upstream);
    const forget = () => {
      this.upstreams.delete(upstream);
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', forget).on('error', forget);
    upstream.on('close', forget).on('error', forget);
  }
}
