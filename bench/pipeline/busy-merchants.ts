import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestWorld } from '../../test/support/test-world';
import { confirmedOrder, LoadClient, Merchant, oneOrder, payAndAwait, Target } from './closed-loop';
import { percentile } from './measure';
import { startBackstop, startBaseline, System } from './systems';

export interface BusyOptions {
  clients: number;
  /** Bursts per system (burst), or orders in the whole run (slowdown). */
  rounds: number;
  pollMs: number;
  adminToken: string;
  callbackSecret: string;
}

type UndoLater = (undo: () => Promise<unknown>) => () => Promise<void>;

async function stocked(client: LoadClient, system: System, sku: string, adminToken: string): Promise<void> {
  const answer = await client.send('PUT', `${system.url}/admin/stock/${sku}`, JSON.stringify({ available: 1_000_000_000, unitPrice: 1999 }), {
    authorization: `Bearer ${adminToken}`,
  });
  if (answer.status !== 200) throw new Error(`PUT /admin/stock/${sku}: ${answer.status} ${answer.text}`);
}

/**
 * The burst scenario: one fast merchant takes `clients` notifications at the same instant,
 * round after round: every client's order is confirmed first, then all are paid at once.
 * backstop runs with its defaults (an endpoint's limit starts at 4 and adapts), the
 * hand-written baseline with no limit at all; notify p50/p99 (payment → merchant has it) of
 * each, and backstop's as a ratio to the baseline's, measured in the same run.
 */
export async function burst(options: BusyOptions, undoLater: UndoLater): Promise<void> {
  const figures: { name: string; p50: number; p99: number; max: number; perSecond: number }[] = [];
  for (const name of ['backstop', 'baseline'] as const) {
    const world = await TestWorld.create(`bench_burst_${name}`);
    const destroyWorld = undoLater(() => world.destroy());
    const system = name === 'backstop' ? await startBackstop(world) : await startBaseline(world);
    const stopSystem = undoLater(() => system.stop());
    const merchant = await Merchant.start('127.0.0.1', 0);
    const stopMerchant = undoLater(() => merchant.stop());
    const client = new LoadClient();
    await stocked(client, system, 'BURST', options.adminToken);
    const target: Target = { url: system.url, callbackSecret: options.callbackSecret, sku: 'BURST', notifyUrl: `${merchant.localUrl}/notify/${name}` };
    const notifyMs: number[] = [];
    let seconds = 0;
    // One round first, uncounted: JIT, pools, the endpoint made.
    for (let round = 0; round <= options.rounds; round++) {
      const orders = await Promise.all(Array.from({ length: options.clients }, () => confirmedOrder(client, target, options.pollMs)));
      const began = performance.now();
      const paid = await Promise.all(orders.map(({ order }) => payAndAwait(client, merchant, target, order)));
      if (round === 0) continue;
      seconds += (performance.now() - began) / 1000;
      for (const { paying, arrived } of paid) notifyMs.push(arrived! - paying);
    }
    client.close();
    await stopMerchant();
    await stopSystem();
    await destroyWorld();
    notifyMs.sort((a, b) => a - b);
    figures.push({ name, p50: percentile(notifyMs, 0.5), p99: percentile(notifyMs, 0.99), max: notifyMs.at(-1)!, perSecond: notifyMs.length / seconds });
    process.stderr.write(`burst: ${name} done\n`);
  }
  const [ours, theirs] = figures;
  console.log(`\nburst: ${options.rounds} bursts of ${options.clients} notifications at once to one fast merchant; backstop with its defaults (NOTIFY_ENDPOINT_CONCURRENCY=4, adaptive to 64)\n`);
  console.log(`${''.padEnd(26)} ${'backstop'.padStart(10)} ${'baseline'.padStart(10)} ${'ratio'.padStart(7)}`);
  const row = (label: string, a: number, b: number) => console.log(`${label.padEnd(26)} ${a.toFixed(1).padStart(10)} ${b.toFixed(1).padStart(10)} ${(a / b).toFixed(2).padStart(7)}`);
  row('notify p50 ms', ours.p50, theirs.p50);
  row('notify p99 ms', ours.p99, theirs.p99);
  row('notify max ms', ours.max, theirs.max);
  row('notifications/s in a burst', ours.perSecond, theirs.perSecond);
}

interface LimitSample {
  at: number;
  limit: number;
  inFlight: number;
  waiting: number;
}

/**
 * The slowdown scenario: a closed loop over ten merchants in turn; a third of the way in,
 * one of them goes from 10 ms to 2 s answers, and two thirds in it is fast again. Prints
 * that endpoint's adaptive limit over time (from GET /admin/endpoints), and the other
 * merchants' notify p50/p99 while it is slow as a ratio to before it slowed.
 */
export async function slowdown(options: BusyOptions, undoLater: UndoLater): Promise<void> {
  const merchants = await Promise.all(Array.from({ length: 10 }, () => Merchant.start('127.0.0.1', 0)));
  const stopMerchants = undoLater(async () => {
    for (const merchant of merchants) await merchant.stop();
  });
  for (const merchant of merchants) merchant.answerDelayMs = 10;
  const slow = merchants[0];
  const world = await TestWorld.create('bench_slowdown');
  const destroyWorld = undoLater(() => world.destroy());
  const system = await startBackstop(world);
  const stopSystem = undoLater(() => system.stop());
  const client = new LoadClient();
  await stocked(client, system, 'SLOWDOWN', options.adminToken);

  const samples: LimitSample[] = [];
  const began = performance.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const answer = await client.send('GET', `${system.url}/admin/endpoints?limit=100`, undefined, { authorization: `Bearer ${options.adminToken}` });
      const endpoint = (JSON.parse(answer.text).items as { origin: string; adaptiveLimit: number; inFlight: number; waiting: number }[]).find(
        (each) => each.origin === slow.localUrl,
      );
      if (endpoint) samples.push({ at: performance.now() - began, limit: endpoint.adaptiveLimit, inFlight: endpoint.inFlight, waiting: endpoint.waiting });
      await sleep(500);
    }
  })();

  type Phase = 'before' | 'slow' | 'after';
  let phase: Phase = 'before';
  const others: Record<Phase, number[]> = { before: [], slow: [], after: [] };
  const phaseAt: Partial<Record<Phase, number>> = { before: 0 };
  let next = 0;
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (next < options.rounds) {
        const index = next++;
        if (phase === 'before' && index >= options.rounds / 3) {
          phase = 'slow';
          slow.answerDelayMs = 2_000;
          phaseAt.slow = performance.now() - began;
        } else if (phase === 'slow' && index >= (2 * options.rounds) / 3) {
          phase = 'after';
          slow.answerDelayMs = 10;
          phaseAt.after = performance.now() - began;
        }
        const merchant = merchants[index % merchants.length];
        const target: Target = { url: system.url, callbackSecret: options.callbackSecret, sku: 'SLOWDOWN', notifyUrl: `${merchant.localUrl}/notify` };
        const started = phase;
        const timing = await oneOrder(client, merchant, target, options.pollMs);
        if (merchant !== slow && started === phase) others[phase].push(timing.notifyMs);
      }
    }),
  );
  // The limit's way back up, once the merchant is fast again and its backlog is sent.
  await sleep(5_000);
  sampling = false;
  await sampler;
  client.close();
  await stopSystem();
  await destroyWorld();
  await stopMerchants();

  console.log(`\nslowdown: ${options.rounds} orders from ${options.clients} clients over 10 merchants; one answers in 2 s instead of 10 ms from ${(phaseAt.slow! / 1000).toFixed(1)} s to ${(phaseAt.after! / 1000).toFixed(1)} s\n`);
  console.log(`the slow merchant's endpoint (every 0.5 s):\n${'s'.padStart(6)} ${'limit'.padStart(6)} ${'in flight'.padStart(10)} ${'waiting'.padStart(8)}`);
  for (const sample of samples) {
    console.log(`${(sample.at / 1000).toFixed(1).padStart(6)} ${sample.limit.toFixed(1).padStart(6)} ${String(sample.inFlight).padStart(10)} ${String(sample.waiting).padStart(8)}`);
  }
  const stats = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), n: sorted.length };
  };
  const before = stats(others.before);
  console.log(`\nthe other nine merchants' notify times, ms:\n${'phase'.padEnd(22)} ${'n'.padStart(5)} ${'p50'.padStart(8)} ${'ratio'.padStart(6)} ${'p99'.padStart(8)} ${'ratio'.padStart(6)}`);
  for (const phaseName of ['before', 'slow', 'after'] as const) {
    const figures = stats(others[phaseName]);
    console.log(
      `${phaseName.padEnd(22)} ${String(figures.n).padStart(5)} ${figures.p50.toFixed(1).padStart(8)} ${(figures.p50 / before.p50).toFixed(2).padStart(6)} ${figures.p99.toFixed(1).padStart(8)} ${(figures.p99 / before.p99).toFixed(2).padStart(6)}`,
    );
  }
}
