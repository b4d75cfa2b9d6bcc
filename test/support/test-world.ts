import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createApplication } from '../../src/bootstrap';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { OutboxPublisher } from '../../src/coordinator/outbox-publisher';
import { addVhost, rabbitmqctl } from './rabbitmqctl';
import { unusedPort } from './unused-port';
import { waitFor } from './wait-for';

const POSTGRES = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const RABBITMQ = process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
/** How much of a spawned platform's log a failing test may show. */
const LOG_TAIL_CHARS = 20_000;

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const CALLBACK_SECRET = 'test-callback-secret-0123456789';
export const SIGNING_KEY = randomBytes(24);
/** The key merchant secrets are encrypted under, the same for every process of a world. */
export const SECRETS_KEY = randomBytes(32).toString('base64');

export interface RunningApp {
  url: string;
  app: NestFastifyApplication;
  close(): Promise<void>;
}

/**
 * One test file's world: its own PostgreSQL database and RabbitMQ vhost, created here
 * and dropped after, so files run in parallel and leave nothing behind.
 */
export class TestWorld {
  readonly name: string;
  readonly database: Client;
  private readonly apps: RunningApp[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly databases: string[] = [];

  private constructor(name: string, database: Client) {
    this.name = name;
    this.database = database;
  }

  static async create(label: string): Promise<TestWorld> {
    const name = `backstop_test_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
    // The broker's CLI takes about a second: the database is made meanwhile.
    await Promise.all([addVhost(name, 'guest'), TestWorld.admin(`CREATE DATABASE ${name}`)]);
    const database = new Client({ connectionString: `${POSTGRES}/${name}` });
    await database.connect();
    return new TestWorld(name, database);
  }

  get databaseUrl(): string {
    return `${POSTGRES}/${this.name}`;
  }

  get rabbitmqUrl(): string {
    return `${RABBITMQ}/${this.name}`;
  }

  /** The environment of a process of this world; tests override what they exercise. */
  environment(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL: this.databaseUrl,
      RABBITMQ_URL: this.rabbitmqUrl,
      ADMIN_TOKEN,
      NOTIFY_SIGNING_SECRET: `whsec_${SIGNING_KEY.toString('base64')}`,
      PAYMENT_CALLBACK_SECRET: CALLBACK_SECRET,
      SECRETS_KEY,
      NOTIFY_ALLOW_PRIVATE: 'true',
      NOTIFY_RETRY_SCHEDULE: '100ms,200ms,400ms',
      NOTIFY_WAIT_DELAY: '100ms',
      HANDLER_RETRY_SCHEDULE: '100ms,200ms',
      RELAY_INTERVAL: '200ms',
      // Merchants that fail on purpose would open their circuit in tests about something else
      // (timing, sweeps, re-runs): the breaker's own tests set this low.
      NOTIFY_CIRCUIT_MIN_REQUESTS: '100000',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
      PORT: '0',
      ...overrides,
    };
  }

  /** Runs the platform in this process, listening on a free port. */
  async start(overrides: Record<string, string> = {}): Promise<RunningApp> {
    const saved = { ...process.env };
    Object.assign(process.env, this.environment(overrides));
    try {
      const app = await createApplication();
      await app.listen(0, '127.0.0.1');
      const running: RunningApp = {
        url: await app.getUrl(),
        app,
        close: async () => {
          this.apps.splice(this.apps.indexOf(running), 1);
          await app.get(OutboxPublisher).drain();
          await app.close();
        },
      };
      this.apps.push(running);
      return running;
    } finally {
      process.env = saved;
    }
  }

  /**
   * Runs the built platform (`node dist/main.js`) as a separate process that a test may kill. A port
   * another test's child took between the pick and the listen is picked again.
   */
  async spawn(overrides: Record<string, string> = {}, nodeArguments: string[] = []): Promise<{ process: ChildProcess; url: string; logTail: () => string }> {
    for (let tries = 1; ; tries++) {
      const port = String(await unusedPort());
      const { child, stderr, logTail } = this.spawnScript(join(__dirname, '..', '..', 'dist', 'main.js'), this.environment({ PORT: port, ...overrides }), nodeArguments);
      const url = `http://127.0.0.1:${port}`;
      if (overrides.ROLE === 'worker') return { process: child, url, logTail };
      const listening = await waitFor(
        async () => {
          if (child.exitCode !== null) {
            if (stderr().includes('EADDRINUSE') && tries < 3) return 'port taken';
            throw new Error(`exited ${child.exitCode}: ${stderr()}`);
          }
          return (await fetch(`${url}/health/live`)).ok && 'listening';
        },
        { what: 'the spawned platform to listen', timeoutMs: 30_000 },
      );
      if (listening === 'listening') return { process: child, url, logTail };
    }
  }

  /** Runs a built Node program of this repository (an example service) with exactly `environment`; killed with the world. */
  spawnScript(
    script: string,
    environment: Record<string, string>,
    nodeArguments: string[] = [],
  ): { child: ChildProcess; stderr: () => string; logTail: () => string } {
    const child = spawn(process.execPath, [...nodeArguments, script], { env: { PATH: process.env.PATH, ...environment }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // The last of what it logged, for a failing test's message; read as it comes, so the pipe never fills.
    let log = '';
    child.stdout!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-LOG_TAIL_CHARS)));
    this.children.push(child);
    return { child, stderr: () => stderr, logTail: () => log };
  }

  /** Another database of this world (an internal service's own), dropped with it; answers its URL. */
  async createDatabase(label: string): Promise<string> {
    const name = `${this.name}_${label}`;
    await TestWorld.admin(`CREATE DATABASE ${name}`);
    this.databases.push(name);
    return `${POSTGRES}/${name}`;
  }

  /** The platform's schema in this world's database, with no platform running: for tests of its statements alone. */
  async migrate(): Promise<void> {
    const migrations = new DataSource(dataSourceOptions({ url: this.databaseUrl }));
    await migrations.initialize();
    try {
      await migrations.runMigrations();
    } finally {
      await migrations.destroy();
    }
  }

  async query<T = Record<string, unknown>>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    return (await this.database.query(sql, parameters)).rows as T[];
  }

  async destroy(): Promise<void> {
    for (const running of [...this.apps].reverse()) await running.close().catch(() => undefined);
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
    await this.database.end();
    await Promise.all([
      rabbitmqctl('delete_vhost', this.name),
      TestWorld.admin(...[this.name, ...this.databases].map((name) => `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
    ]);
  }

  /** Runs `statements` in turn on the server's maintenance database (what makes and drops a world's databases). */
  private static async admin(...statements: string[]): Promise<void> {
    const admin = new Client({ connectionString: `${POSTGRES}/postgres` });
    await admin.connect();
    try {
      for (const statement of statements) await admin.query(statement);
    } finally {
      await admin.end();
    }
  }
}
