import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { unusedPort } from './unused-port';

/** `node dist/main.js` with its output kept line by line, for tests of what it prints. */
export class SpawnedPlatform {
  readonly stdout: string[] = [];
  stderr = '';
  readonly url: string;
  readonly child: ChildProcess;

  static async start(environment: Record<string, string>): Promise<SpawnedPlatform> {
    return new SpawnedPlatform(environment, await unusedPort());
  }

  private constructor(environment: Record<string, string>, port: number) {
    this.url = `http://127.0.0.1:${port}`;
    this.child = spawn(process.execPath, [join(__dirname, '..', '..', 'dist', 'main.js')], {
      env: { PATH: process.env.PATH, ...environment, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      this.stdout.push(...lines.filter(Boolean));
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /** The stdout lines as JSON (LOG_FORMAT=json). */
  json(): Record<string, any>[] {
    return this.stdout.map((line) => JSON.parse(line) as Record<string, any>);
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
