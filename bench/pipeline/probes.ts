import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Client } from 'pg';

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU of a process so far, in ms; undefined when it cannot be read (gone, or not on this machine). */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is the 3rd field of the line, utime the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * The RabbitMQ node's process when exactly one runs on this machine (the bench's broker, with
 * no test cluster beside it); undefined otherwise. Its CPU is shared by every vhost, so it
 * is read over a window in which only the measured system's traffic runs.
 */
export function localBrokerPid(): number | undefined {
  const nodes = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        // The node itself, not a CLI tool (rabbitmqctl runs on an Erlang VM too).
        const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return command[0].endsWith('beam.smp') && command.join(' ').includes('-s rabbit boot');
      } catch {
        return false;
      }
    });
  return nodes.length === 1 ? Number(nodes[0]) : undefined;
}

/** The machine's CPU time so far, all cores together, in clock ticks: idle (with I/O wait) and in all. */
export function machineCpuTicks(): { idle: number; total: number } {
  // The first line of /proc/stat: "cpu  user nice system idle iowait irq softirq steal …".
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  return { idle: ticks[3] + ticks[4], total: ticks.reduce((sum, each) => sum + each, 0) };
}

/** Resident set size in bytes. */
export function processRss(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Marks the probe's own statements so that they are left out of the counts. */
const PROBE = '/* bench probe */';

export const STATEMENTS_HINT =
  'pg_stat_statements is not loaded: add it to shared_preload_libraries in postgresql.conf ' +
  "(shared_preload_libraries = 'pg_stat_statements') and restart PostgreSQL";

/**
 * What PostgreSQL says about one database. `target` is a connection to that database
 * (pg_stat_statements is read there); `cluster` a connection to another database of the
 * same server (pg_stat_database and pg_stat_activity), so that reading them adds
 * nothing to the counts of the database measured.
 */
export class DatabaseProbe {
  /** Why statement counts are not available, when they are not. */
  statementsProblem?: string;
  private ownPids: number[] = [];

  private constructor(
    private readonly target: Client,
    private readonly cluster: Client,
    readonly name: string,
  ) {}

  static async open(target: Client, cluster: Client): Promise<DatabaseProbe> {
    const [{ name }] = (await target.query(`${PROBE} SELECT current_database() AS name`)).rows;
    const probe = new DatabaseProbe(target, cluster, name);
    for (const client of new Set([target, cluster])) probe.ownPids.push((await client.query(`${PROBE} SELECT pg_backend_pid() AS pid`)).rows[0].pid);
    try {
      await target.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await target.query(`${PROBE} SELECT 1 FROM pg_stat_statements LIMIT 1`);
    } catch (error) {
      probe.statementsProblem = /shared_preload_libraries/.test((error as Error).message) ? STATEMENTS_HINT : (error as Error).message;
    }
    return probe;
  }

  /** Forgets the statements counted so far in this database. */
  async resetStatements(): Promise<void> {
    if (this.statementsProblem) return;
    await this.target.query(`${PROBE} SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`);
  }

  /**
   * Before its database is dropped: pg_stat_statements keeps a dropped database's entries
   * until its table is full, and then throws entries out under lock as new ones come, which
   * slowed every later run on the same server by a tenth and more.
   */
  async forgetStatements(): Promise<void> {
    await forgetStatements(this.target);
  }

  /** Statements run in this database since the reset (the probe's own left out). */
  async statements(): Promise<number | undefined> {
    if (this.statementsProblem) return undefined;
    const { rows } = await this.target.query(
      `${PROBE} SELECT coalesce(sum(calls), 0)::bigint AS calls FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '${PROBE}%'`,
    );
    return Number(rows[0].calls);
  }

  /** The statements called most since the reset. */
  async topStatements(limit: number): Promise<{ calls: number; query: string }[]> {
    if (this.statementsProblem) return [];
    const { rows } = await this.target.query(
      `${PROBE} SELECT calls, query FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '${PROBE}%'
        ORDER BY calls DESC LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({ calls: Number(row.calls), query: String(row.query).replace(/\s+/g, ' ') }));
  }

  /** Entries pg_stat_statements has thrown out so far for lack of room (counts are low when it grows). */
  async evictions(): Promise<number | undefined> {
    if (this.statementsProblem) return undefined;
    try {
      return Number((await this.target.query(`${PROBE} SELECT dealloc FROM pg_stat_statements_info`)).rows[0].dealloc);
    } catch {
      return undefined;
    }
  }

  /**
   * Committed + rolled back transactions. Busy backends report them at most once a
   * second, so read this while the load runs at both edges of the window.
   */
  async transactions(): Promise<number> {
    const { rows } = await this.cluster.query(
      `${PROBE} SELECT (xact_commit + xact_rollback)::bigint AS transactions FROM pg_stat_database WHERE datname = $1`,
      [this.name],
    );
    return Number(rows[0].transactions);
  }

  /** The server processes serving this database's connections (ours excluded). */
  async backendPids(): Promise<number[]> {
    const { rows } = await this.cluster.query(`${PROBE} SELECT pid FROM pg_stat_activity WHERE datname = $1`, [this.name]);
    return rows.map((row) => Number(row.pid)).filter((pid) => !this.ownPids.includes(pid));
  }
}

/**
 * CPU of the PostgreSQL backends of one database over a window: backends live in the
 * clients' pools, so sampling their /proc/<pid>/stat now and then catches nearly all of
 * it (one that connects after the window opens counts from zero; one that goes keeps
 * what it had at its last sample).
 */
export class BackendCpu {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private readable = true;

  constructor(private readonly probe: DatabaseProbe) {}

  async begin(): Promise<void> {
    this.first.clear();
    this.last.clear();
    for (const pid of await this.probe.backendPids()) {
      const cpu = backendCpuMs(pid);
      if (cpu === undefined) {
        this.readable = false;
        continue;
      }
      this.first.set(pid, cpu);
      this.last.set(pid, cpu);
    }
  }

  async sample(): Promise<void> {
    for (const pid of await this.probe.backendPids()) {
      const cpu = backendCpuMs(pid);
      if (cpu === undefined) continue;
      if (!this.first.has(pid)) this.first.set(pid, 0);
      this.last.set(pid, cpu);
    }
  }

  /** CPU ms since begin(); undefined when PostgreSQL's processes are not readable here (another machine). */
  totalMs(): number | undefined {
    if (!this.readable || this.last.size === 0) return undefined;
    let total = 0;
    for (const [pid, cpu] of this.last) total += cpu - (this.first.get(pid) ?? 0);
    return total;
  }
}

/** A backend's CPU, if that pid on this machine is a PostgreSQL process (the server may be elsewhere). */
function backendCpuMs(pid: number): number | undefined {
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('postgres')) return undefined;
  } catch {
    return undefined;
  }
  return processCpuMs(pid);
}

/** Forgets the pg_stat_statements entries of `client`'s database, when the server keeps them (see `DatabaseProbe.forgetStatements`). */
export async function forgetStatements(client: Client): Promise<void> {
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await client.query(`${PROBE} SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`);
  } catch {
    // Not loaded (shared_preload_libraries): there is nothing to forget.
  }
}
