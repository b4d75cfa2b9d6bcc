import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unusedPort } from './unused-port';
import { waitFor } from './wait-for';

const run = promisify(execFile);
// The scripts themselves: /usr/sbin's wrappers switch to the rabbitmq user and its home,
// whose cookie is the shared node's.
const RABBITMQ_BIN = process.env.RABBITMQ_BIN ?? '/usr/lib/rabbitmq/bin';
/** The distribution ports rabbitmqctl itself takes (35672 and the ten above it). */
const CLI_DIST_PORTS = { from: 35_672, to: 35_682 };

export interface ClusterNode {
  name: string;
  amqpPort: number;
  distPort: number;
  directory: string;
  server?: ChildProcess;
}

/**
 * Extra RabbitMQ nodes on this machine, clustered, for tests of a node's loss; the shared
 * node on 5672 is never touched. Each node has its own data and log directories, node name,
 * ports and config file (the machine's /etc/rabbitmq/rabbitmq.conf pins the listener to
 * 5672, so RABBITMQ_NODE_PORT alone would not do), no plugins (the management listener
 * would clash), and an env file of its own instead of /etc/rabbitmq/rabbitmq-env.conf,
 * which names the shared node. They share an Erlang cookie of their own, in a private HOME
 * (RabbitMQ 3.10 reads `$HOME/.erlang.cookie`), which the CLI calls here use too.
 */
export class LocalRabbitCluster {
  /** How long the nodes took to boot, and then to join (ms): what this costs a test run. */
  readonly timings = { bootMs: 0, joinMs: 0 };

  private constructor(
    readonly root: string,
    readonly nodes: ClusterNode[],
  ) {}

  /** Starts `size` nodes at once, then joins every other node to the first, one by one. */
  static async start(size = 3): Promise<LocalRabbitCluster> {
    const root = await mkdtemp(join(tmpdir(), 'backstop-rabbit-'));
    const label = randomBytes(3).toString('hex');
    const nodes: ClusterNode[] = [];
    const taken = new Set<number>();
    for (let index = 1; index <= size; index++) {
      nodes.push({
        name: `backstop-test-${label}-${index}@localhost`,
        amqpPort: await freePort(taken),
        distPort: await freePort(taken),
        directory: join(root, `node-${index}`),
      });
    }
    const cluster = new LocalRabbitCluster(root, nodes);
    try {
      await mkdir(join(root, 'home'));
      await writeFile(join(root, 'home', '.erlang.cookie'), randomBytes(20).toString('hex').toUpperCase(), { mode: 0o400 });
      await writeFile(join(root, 'enabled_plugins'), '[].\n');
      await writeFile(join(root, 'rabbitmq-env.conf'), '');
      const bootStart = Date.now();
      await Promise.all(nodes.map((node) => cluster.startNode(node)));
      cluster.timings.bootMs = Date.now() - bootStart;
      const joinStart = Date.now();
      // One at a time: two nodes merging their Mnesia schemas into the first at once can
      // fail start_app ({mnesia_app, start}), as a CI run showed. A node whose join still
      // fails is reset and joined once more.
      for (const node of nodes.slice(1)) {
        await cluster.join(node, nodes[0]).catch(async () => {
          await cluster.ctl(node, 'stop_app').catch(() => undefined);
          await cluster.ctl(node, 'reset');
          await cluster.join(node, nodes[0]);
        });
      }
      await waitFor(async () => (JSON.parse(await cluster.ctl(nodes[0], 'cluster_status', '--formatter', 'json')) as { running_nodes: string[] }).running_nodes.length === size, {
        what: 'every node running in one cluster',
        timeoutMs: 30_000,
        intervalMs: 200,
      });
      cluster.timings.joinMs = Date.now() - joinStart;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** One URL per node, in order: what RABBITMQ_URL lists. */
  urls(): string[] {
    return this.nodes.map((node) => `amqp://guest:guest@127.0.0.1:${node.amqpPort}`);
  }

  /** The node the clients' connections are on (told by the AMQP port that accepted them); undefined when there are none. */
  async nodeServingClients(): Promise<ClusterNode | undefined> {
    const alive = this.nodes.filter((node) => isRunning(node.server));
    if (alive.length === 0) return undefined;
    const lines = (await this.ctl(alive[0], 'list_connections', 'port', '--no-table-headers')).trim().split('\n').filter(Boolean);
    const ports = new Set(lines.map((line) => Number(line.trim())));
    return this.nodes.find((node) => ports.has(node.amqpPort));
  }

  /** The node's Erlang VM killed at once (kill -9), as a machine that dies. */
  async kill(node: ClusterNode): Promise<void> {
    const pid = Number((await readFile(join(node.directory, 'pid'), 'utf8')).trim());
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isRunning(node.server), { what: `${node.name} to exit`, timeoutMs: 10_000 });
  }

  async ctl(node: ClusterNode, ...args: string[]): Promise<string> {
    const { stdout } = await run(join(RABBITMQ_BIN, 'rabbitmqctl'), ['-q', '-n', node.name, ...args], { env: this.environment(node), timeout: 30_000, cwd: this.root });
    return stdout;
  }

  private async join(node: ClusterNode, first: ClusterNode): Promise<void> {
    await this.ctl(node, 'stop_app');
    await this.ctl(node, 'join_cluster', first.name);
    await this.ctl(node, 'start_app');
  }

  /** Every node stopped (killed: nothing of theirs is kept) and their directories removed. */
  async stop(): Promise<void> {
    for (const node of this.nodes) {
      const pid = await readFile(join(node.directory, 'pid'), 'utf8').then(Number, () => undefined);
      if (pid && isRunning(node.server)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      if (isRunning(node.server)) node.server.kill('SIGKILL');
    }
    await Promise.all(this.nodes.map((node) => (isRunning(node.server) ? new Promise((resolve) => node.server!.once('exit', resolve)) : undefined)));
    await rm(this.root, { recursive: true, force: true });
  }


  private async startNode(node: ClusterNode): Promise<void> {
    await mkdir(join(node.directory, 'log'), { recursive: true });
    await writeFile(join(node.directory, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${node.amqpPort}\n`);
    let output = '';
    // In the node's own directory: whatever Erlang writes relative to its working directory stays out of the repository.
    node.server = spawn(join(RABBITMQ_BIN, 'rabbitmq-server'), [], { env: this.environment(node), stdio: ['ignore', 'pipe', 'pipe'], cwd: node.directory });
    node.server.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
    node.server.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
    await waitFor(
      async () => {
        if (!isRunning(node.server)) throw new Error(`${node.name} exited with ${node.server!.exitCode}: ${output}`);
        // The AMQP listener opens once the node has booted. Probed over TCP: each rabbitmqctl
        // call starts an Erlang VM, and polling with it would slow the nodes' own start.
        return accepts(node.amqpPort);
      },
      { what: `${node.name} to start`, timeoutMs: 60_000, intervalMs: 200 },
    );
  }

  private environment(node: ClusterNode): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: join(this.root, 'home'),
      RABBITMQ_NODENAME: node.name,
      RABBITMQ_NODE_PORT: String(node.amqpPort),
      RABBITMQ_DIST_PORT: String(node.distPort),
      RABBITMQ_CONFIG_FILE: join(node.directory, 'rabbitmq.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(node.directory, 'advanced.config'),
      RABBITMQ_CONF_ENV_FILE: join(this.root, 'rabbitmq-env.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(this.root, 'enabled_plugins'),
      RABBITMQ_MNESIA_BASE: join(node.directory, 'data'),
      RABBITMQ_MNESIA_DIR: join(node.directory, 'data', 'node'),
      RABBITMQ_LOG_BASE: join(node.directory, 'log'),
      RABBITMQ_PID_FILE: join(node.directory, 'pid'),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      ERL_FLAGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    };
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A process killed by a signal keeps a null exitCode: its signalCode tells it has ended. */
function isRunning(process: ChildProcess | undefined): process is ChildProcess {
  return process !== undefined && process.exitCode === null && process.signalCode === null;
}

async function freePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await unusedPort();
    // The shared node's distribution port is its AMQP port + 20000.
    const clashes = taken.has(port) || (port >= CLI_DIST_PORTS.from && port <= CLI_DIST_PORTS.to) || port === 25_672;
    if (!clashes) {
      taken.add(port);
      return port;
    }
  }
}
