import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from './wait-for';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Runs the built platform (`node dist/main.js`) with exactly `environment` and waits,
 * bounded, for it to exit on its own; a process still running at the deadline is killed
 * and the wait fails.
 */
export async function runToExit(environment: Record<string, string>, timeoutMs = 30_000): Promise<Exit> {
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'dist', 'main.js')], {
    env: { PATH: process.env.PATH ?? '', ...environment },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const state: { exit?: Omit<Exit, 'stderr'> } = {};
  const closed = new Promise<void>((resolve) =>
    child.on('close', (code, signal) => {
      state.exit = { code, signal };
      resolve();
    }),
  );
  try {
    await waitFor(() => state.exit !== undefined, { what: 'the platform to exit', timeoutMs });
  } finally {
    if (state.exit === undefined) {
      child.kill('SIGKILL');
      await closed;
    }
  }
  return { ...state.exit!, stderr };
}
