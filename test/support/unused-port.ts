import { createServer } from 'node:net';

/**
 * A port a spawned platform can listen on. It is taken below Linux's ephemeral range (32768–60999)
 * because a port drawn from that range may meanwhile be handed to any outgoing connection (to
 * PostgreSQL, RabbitMQ, a merchant) and the child then fails with EADDRINUSE; and it is bound once
 * here so a port some other service of the machine holds is never offered.
 */
export async function unusedPort(): Promise<number> {
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '0.0.0.0', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
