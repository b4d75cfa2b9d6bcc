import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The broker's own admin CLI: vhosts, limits and connection kills scoped to one test's vhost. */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args], { timeout: 30_000 });
  return stdout;
}

export async function queueDepths(vhost: string): Promise<Map<string, number>> {
  const out = await rabbitmqctl('list_queues', '-p', vhost, 'name', 'messages', '--no-table-headers');
  return new Map(
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name, count] = line.trim().split(/\s+/);
        return [name, Number(count)] as [string, number];
      }),
  );
}
