/**
 * HTTP and pipeline throughput, as ratios against a baseline measured in the same run
 * (GET /health/live: the cost of Fastify + Nest alone), so the figures mean something
 * on any machine. Run with `npm run bench`; needs PostgreSQL and RabbitMQ like the tests.
 * The load generator shares the machine with the platform: read ratios, not absolutes.
 */
import { performance } from 'node:perf_hooks';
import { orderReaches, placeOrder, setStock } from '../test/support/orders';
import { TestWorld } from '../test/support/test-world';
import { waitFor } from '../test/support/wait-for';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

interface Result {
  name: string;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function load(name: string, request: () => Promise<Response>): Promise<Result> {
  const latencies: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const begin = performance.now();
        const response = await request();
        await response.arrayBuffer();
        if (response.status >= 400) throw new Error(`${name}: HTTP ${response.status}`);
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    name,
    requests: latencies.length,
    perSecond: latencies.length / elapsed,
    p50: latencies[Math.floor(latencies.length * 0.5)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
  };
}

async function main(): Promise<void> {
  const world = await TestWorld.create('bench');
  try {
    const platform = await world.start({ LOG_LEVEL: 'error' });
    const base = platform.url;
    await setStock(base, 'BENCH-A', 10_000_000, 1999);
    const sample = await placeOrder(base, [{ sku: 'BENCH-A', quantity: 1 }]);
    await orderReaches(base, sample.id, ['CONFIRMED']);
    const orderBody = JSON.stringify({
      merchantId: 'bench',
      items: [{ sku: 'BENCH-A', quantity: 1 }],
      notifyUrl: 'https://merchant.example/notify',
    });

    const results = [
      await load('GET /health/live (baseline)', () => fetch(`${base}/health/live`)),
      await load('GET /stock/:sku', () => fetch(`${base}/stock/BENCH-A`)),
      await load('GET /orders/:id', () => fetch(`${base}/orders/${sample.id}`)),
      await load('POST /orders', () =>
        fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: orderBody }),
      ),
    ];

    // The whole spine: orders accepted during the POST run, until every one is CONFIRMED.
    const started = performance.now();
    const [{ pending }] = await world.query<{ pending: string }>(`SELECT count(*) AS pending FROM orders WHERE status = 'PENDING'`);
    await waitFor(
      async () => (await world.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE status = 'PENDING'`))[0].n === '0',
      { timeoutMs: 600_000, intervalMs: 100, what: 'the backlog to be confirmed' },
    );
    const drainSeconds = (performance.now() - started) / 1000;

    const baseline = results[0].perSecond;
    console.log(`\n${SECONDS}s per run, ${CONCURRENCY} concurrent clients, one process on this machine\n`);
    console.log('scenario                         req/s    × baseline   p50 ms   p99 ms');
    for (const result of results) {
      console.log(
        `${result.name.padEnd(32)} ${result.perSecond.toFixed(0).padStart(6)}   ${(result.perSecond / baseline).toFixed(2).padStart(8)}   ${result.p50
          .toFixed(1)
          .padStart(6)}   ${result.p99.toFixed(1).padStart(6)}`,
      );
    }
    const accepted = results[3].requests;
    console.log(
      `\npipeline: ${accepted} orders accepted; the ${pending} still PENDING when the load stopped were all CONFIRMED ` +
        `${drainSeconds.toFixed(1)}s later (order.created → stock.reserve → stock.reserved → orders.stock-result), ` +
        `${(accepted / (SECONDS + drainSeconds)).toFixed(0)} orders/s end to end = ${(accepted / (SECONDS + drainSeconds) / baseline).toFixed(3)} × baseline`,
    );
  } finally {
    await world.destroy();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
