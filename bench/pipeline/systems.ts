import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import ts from 'typescript';
import type { TestWorld } from '../../test/support/test-world';

const ROOT = join(__dirname, '..', '..');

/** A system under test: an HTTP base URL and, when it runs here, its process. */
export interface System {
  name: string;
  url: string;
  pid?: number;
  stop(): Promise<void>;
}

/** Runs `npm run build` when dist/main.js is missing or older than any file under src/. */
export function buildIfStale(): void {
  const built = join(ROOT, 'dist', 'main.js');
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  const newest = (directory: string): number =>
    Math.max(0, ...readdirSync(directory, { withFileTypes: true }).map((entry) => {
      const path = join(directory, entry.name);
      return entry.isDirectory() ? newest(path) : statSync(path).mtimeMs;
    }));
  if (newest(join(ROOT, 'src')) <= builtAt) return;
  process.stderr.write('dist/ is older than src/: npm run build\n');
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr] });
}

/** backstop as in production, `node dist/main.js`, in its own process on the world's database and vhost. */
export async function startBackstop(world: TestWorld, overrides: Record<string, string> = {}, nodeArguments: string[] = []): Promise<System> {
  const { process: child, url } = await world.spawn({
    // The production defaults the test worlds compress or switch off: the retry schedules, the
    // wait on the broker, the circuit breaker, and the relay's interval (as the baseline's relay).
    NOTIFY_RETRY_SCHEDULE: '3s,30s,60s,120s,180s,300s',
    HANDLER_RETRY_SCHEDULE: '1s,5s,30s',
    NOTIFY_WAIT_DELAY: '1s',
    NOTIFY_CIRCUIT_MIN_REQUESTS: '10',
    RELAY_INTERVAL: '1s',
    ...overrides,
    LOG_LEVEL: 'warn',
    NOTIFY_ALLOW_PRIVATE: 'true',
  }, nodeArguments);
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[backstop] ${chunk.toString()}`));
  return { name: 'backstop', url, pid: child.pid, stop: () => stopChild(child) };
}

/**
 * The hand-written baseline (bench/baseline/main.ts), transpiled here before it starts so
 * that no compiler runs, or sits in memory, in the process measured.
 */
export async function startBaseline(world: TestWorld, nodeArguments: string[] = []): Promise<System> {
  const directory = mkdtempSync(join(tmpdir(), 'backstop-baseline-'));
  const source = readFileSync(join(ROOT, 'bench', 'baseline', 'main.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  writeFileSync(join(directory, 'main.js'), outputText);
  const child = spawn(process.execPath, [...nodeArguments, join(directory, 'main.js')], {
    env: { PATH: process.env.PATH, NODE_PATH: join(ROOT, 'node_modules'), ...world.environment({ PORT: '0' }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(`[baseline] ${chunk.toString()}`));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith('listening ')) resolve(line.slice('listening '.length));
    });
    child.once('exit', (code) => reject(new Error(`the baseline exited (${code}) before listening`)));
  });
  return {
    name: 'baseline',
    url,
    pid: child.pid,
    stop: async () => {
      await stopChild(child);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** SIGTERM, and SIGKILL if it has not gone within 5 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
