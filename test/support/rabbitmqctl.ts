import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The broker's own admin CLI: vhosts, limits and connection kills scoped to one test's vhost. */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args], { timeout: 30_000 });
  return stdout;
}

/**
 * A new vhost with full permissions for `user`, in one call: each rabbitmqctl starts an Erlang
 * VM (about a second of CPU), and every test file makes at least one vhost. A definitions
 * import is additive and makes both at once.
 */
export async function addVhost(vhost: string, user: string): Promise<void> {
  const definitions = { vhosts: [{ name: vhost }], permissions: [{ user, vhost, configure: '.*', write: '.*', read: '.*' }] };
  const importing = run('rabbitmqctl', ['-q', 'import_definitions', '--format', 'json'], { timeout: 30_000 });
  importing.child.stdin!.end(JSON.stringify(definitions));
  await importing;
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
