/**
 * `npm run demo`: the platform (built, on this machine's PostgreSQL and RabbitMQ), a flaky
 * merchant that fails the first attempts of each notification and then answers `success`, and
 * a few orders placed and paid, with every attempt shown as it happens.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';

const FAILURES_BEFORE_SUCCESS = 2;
const ORDERS = 3;
const port = process.env.PORT ?? '3000';
const base = `http://localhost:${port}`;
const adminToken = process.env.ADMIN_TOKEN || randomBytes(24).toString('hex');
const started = Date.now();
const clock = () => `+${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const say = (line: string) => process.stdout.write(`${clock()}  ${line}\n`);

async function main(): Promise<void> {
  const attempts = new Map<string, number>();
  const merchant = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const notification = JSON.parse(body || '{}') as { orderId?: string; status?: string };
      const orderId = notification.orderId ?? '?';
      const attempt = (attempts.get(orderId) ?? 0) + 1;
      attempts.set(orderId, attempt);
      const fail = attempt <= FAILURES_BEFORE_SUCCESS;
      say(`merchant  order ${orderId.slice(0, 8)} ${notification.status} attempt ${attempt} (webhook-id ${String(request.headers['webhook-id']).slice(0, 8)}): ${fail ? 'answers 503' : 'answers success'}`);
      if (fail) response.writeHead(503).end('busy');
      else response.end('success');
    });
  });
  await new Promise<void>((resolve) => merchant.listen(0, '127.0.0.1', resolve));
  const notifyUrl = `http://127.0.0.1:${(merchant.address() as AddressInfo).port}/notify`;

  const platform = spawn(process.execPath, [join(__dirname, '..', 'dist', 'main.js')], {
    env: { ...process.env, PORT: port, ADMIN_TOKEN: adminToken, NOTIFY_ALLOW_PRIVATE: 'true', LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' },
    stdio: 'inherit',
  });
  const stop = () => {
    platform.kill('SIGTERM');
    merchant.close();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  platform.on('exit', (code) => {
    merchant.close();
    process.exitCode = code ?? 0;
  });

  await until(async () => (await fetch(`${base}/health/ready`)).ok, 60);
  say(`platform ready. Ops console: ${base}/admin (admin token ${adminToken}); API docs: ${base}/docs`);
  await call('PUT', '/admin/stock/DEMO-1', { available: 1000, unitPrice: 4200 });
  const orders: string[] = [];
  for (let index = 0; index < ORDERS; index += 1) {
    const order = await call<{ id: string }>('POST', '/orders', { merchantId: 'demo-merchant', items: [{ sku: 'DEMO-1', quantity: index + 1 }], notifyUrl });
    await until(async () => (await call<{ status: string }>('GET', `/orders/${order.id}`)).status === 'CONFIRMED', 30);
    const paid = await call<{ status: string }>('POST', `/orders/${order.id}/pay`);
    say(`order     ${order.id.slice(0, 8)} placed and ${paid.status}`);
    orders.push(order.id);
  }
  say(`the merchant fails the first ${FAILURES_BEFORE_SUCCESS} attempts: watch the stepped schedule (NOTIFY_RETRY_SCHEDULE, default 3s,30s,…)`);
  const states = new Map<string, string>();
  await until(async () => {
    for (const id of orders) {
      const { notification } = await call<{ notification: { state: string; attempts: number; nextAttemptAt?: string } }>('GET', `/orders/${id}`);
      const line = `${notification.state} after ${notification.attempts} attempt(s)${notification.nextAttemptAt ? `, next at ${new Date(notification.nextAttemptAt).toLocaleTimeString()}` : ''}`;
      if (states.get(id) !== line) say(`platform  order ${id.slice(0, 8)} notification ${line}`);
      states.set(id, line);
    }
    return orders.every((id) => states.get(id)?.startsWith('DELIVERED'));
  }, 600);
  say(`every merchant notified. See the attempts in the console: ${base}/admin#deliveries. Ctrl-C to stop.`);
}

async function call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Polls once a second until `check` holds, for at most `seconds`. */
async function until(check: () => Promise<boolean>, seconds: number): Promise<void> {
  for (let second = 0; second < seconds; second += 1) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`gave up after ${seconds}s`);
}

main().catch((error: Error) => {
  process.stderr.write(`demo: ${error.message}\n`);
  process.exit(1);
});
