import { AmqpConnection } from '@golevelup/nestjs-rabbitmq';
import { Client } from 'pg';
import { http } from './http';
import type { RunningApp } from './test-world';
import { waitFor } from './wait-for';
import type { FailedMessage as FailedMessageView, FailedMessageDetail } from '../../src/ops/console/api-types';

const POSTGRES = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** `GET /admin/failed-messages/:id` and the list items (SPEC §4 FailedMessage): the console reads the same shapes. */
export type { FailedMessage as FailedMessageView, FailedMessageDetail } from '../../src/ops/console/api-types';

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export async function failedMessage(base: string, id: string): Promise<FailedMessageDetail> {
  const answer = await http(base, 'GET', `/admin/failed-messages/${id}`, { admin: true });
  if (answer.status !== 200) throw new Error(`GET /admin/failed-messages/${id}: ${answer.status} ${answer.text}`);
  return answer.body;
}

/** The notify.merchant failure of one order's outcome event, as the ops API lists it; undefined while there is none. */
export async function notifyFailureOf(base: string, orderId: string): Promise<FailedMessageView | undefined> {
  const answer = await http(base, 'GET', '/admin/failed-messages?handler=notify.merchant&limit=500', { admin: true });
  if (answer.status !== 200) throw new Error(`GET /admin/failed-messages: ${answer.status} ${answer.text}`);
  const rows = (answer.body.items as FailedMessageView[]).filter((row) => row.payload?.data?.orderId === orderId);
  if (rows.length > 1) throw new Error(`${rows.length} failed_messages rows for order ${orderId}; expected at most one`);
  return rows[0];
}

/** Waits for the order's notify.merchant failure row to satisfy `accept`. */
export function notifyFailureReaches(
  base: string,
  orderId: string,
  accept: (row: FailedMessageView) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<FailedMessageView> {
  return waitFor(
    async () => {
      const row = await notifyFailureOf(base, orderId);
      return row && accept(row) ? row : undefined;
    },
    { what: `failed message of order ${orderId}: ${what}`, timeoutMs, intervalMs: 20 },
  );
}

/**
 * An observation window for "nothing more happens": `check` must keep answering true for
 * all of `windowMs` (polled), and the first time it does not, this fails with what it saw.
 * Callers derive `windowMs` from the schedule they are checking and say how.
 */
export async function holdsFor(check: () => Promise<true | string> | true | string, windowMs: number, what: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    const verdict = await check();
    if (verdict !== true) throw new Error(`${what} stopped holding after ${Date.now() - started} ms: ${verdict}`);
    if (Date.now() - started >= windowMs) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SPEC G4 tolerance: within 10% of the delay or 250 ms, whichever is larger. */
export function expectOnTime(actualMs: number, expectedMs: number, delayMs: number, what: string): void {
  const tolerance = Math.max(0.1 * delayMs, 250);
  const drift = actualMs - expectedMs;
  if (Math.abs(drift) > tolerance) {
    throw new Error(`${what}: ${drift} ms off schedule (expected at ${new Date(expectedMs).toISOString()}, tolerance ±${tolerance} ms)`);
  }
}

/** A connection to the cluster's `postgres` database, which stays reachable while a test database is blocked. */
export async function maintenanceClient(): Promise<Client> {
  const client = new Client({ connectionString: `${POSTGRES}/postgres` });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Stops new connections to `database` and ends every existing one: the database is "down" for the platform. */
export async function blockDatabase(admin: Client, database: string): Promise<void> {
  await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
  await waitFor(
    async () => {
      const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [database]);
      return rows[0].n === 0;
    },
    { what: `every backend of ${database} to end` },
  );
}

export async function unblockDatabase(admin: Client, database: string): Promise<void> {
  await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
}

/** A fresh client of a test database (the world's own was ended when the database was blocked). */
export async function databaseClient(database: string): Promise<Client> {
  const client = new Client({ connectionString: `${POSTGRES}/${database}` });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * Closes platforms that ran side by side in this process. @golevelup/nestjs-rabbitmq keeps
 * its connections in a static registry keyed by name ("default"), so the last platform
 * started replaces the others there and only its connection is closed on shutdown: each
 * platform's own connection is closed here as well, so no vhost is left with a live client.
 */
export async function closeSideBySide(apps: RunningApp[]): Promise<void> {
  for (const running of [...apps].reverse()) {
    const amqp = running.app.get(AmqpConnection);
    await running.close().catch(() => undefined);
    await amqp.close().catch(() => undefined);
  }
}
