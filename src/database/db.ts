import { Logger } from '@nestjs/common';
import { Pool, PoolClient, QueryResult } from 'pg';
import { Bound, isLiteral, Statement } from './sql';

/** Where a repository runs a statement: on its own (`Db`), or inside one transaction (`Tx`). */
export interface Queryable {
  run<Row>(statement: Statement<Row>, values?: unknown[]): Promise<Row[]>;
}

/**
 * The one way repositories reach PostgreSQL: named statements on a pg pool (pg's public
 * API only), a transaction on one of its connections, or several statements in one round
 * trip. Written here rather than taken from TypeORM, whose `query` sends every statement
 * unnamed (planned on every call) and answers UPDATE and DELETE without their rows; TypeORM
 * keeps the migrations and the entities that describe the schema.
 */
export class Db implements Queryable {
  private readonly logger = new Logger(Db.name);

  constructor(private readonly pool: Pool) {
    // An idle connection the server drops (a restart, an outage) is an 'error' on the pool;
    // unhandled, it would end the process. The next statement simply takes a new connection.
    pool.on('error', (error) => this.logger.warn(`an idle database connection failed: ${error.message}`));
  }

  async run<Row>(statement: Statement<Row>, values: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query({ name: statement.name, text: statement.text, values })).rows as Row[];
  }

  /**
   * Several statements as one simple query: one round trip, and PostgreSQL runs them as one
   * transaction (if one fails, none is kept). Answers each statement's rows.
   */
  async runTogether(statements: Bound[]): Promise<Record<string, unknown>[][]> {
    return (await simple(this.pool, statements.map((statement) => statement.inline()))).map((each) => each.rows);
  }

  /**
   * Runs `work` in a transaction on one connection. BEGIN costs no round trip of its own: it
   * is sent with `opening` (one statement or several, each run in turn) when there is one,
   * or else with the first statement `work` runs; and what `work` leaves with
   * `Tx.atCommit` goes with COMMIT. Under load every round trip is a wait for a pooled
   * connection's turn on a busy event loop, so this saves one or two on every transaction.
   * Nothing may wait on the network inside `work` (a broker, a merchant): the connection is
   * held until it returns.
   */
  async transaction<T>(work: (tx: Tx, opened: Record<string, unknown>[]) => Promise<T>, opening?: Bound | Bound[]): Promise<T> {
    const openings = opening === undefined ? [] : [opening].flat();
    const client = await this.pool.connect();
    const tx = new Tx(client);
    let broken: Error | undefined;
    try {
      // `opened` is what the last opening statement answered.
      const opened = openings.length > 0 ? await tx.begin(openings.map((each) => each.inline())) : [];
      const value = await work(tx, opened);
      await tx.commit();
      return value;
    } catch (error) {
      if (tx.open) await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * One statement of schema maintenance (partitions: see TimePartitions), sent as a simple
   * query outside any transaction. Its text is the platform's own, with every name quoted by
   * pg's escapeIdentifier: never input from outside.
   */
  async execute(text: string): Promise<void> {
    await this.pool.query(text);
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

/** One transaction's connection, for the statements of `Db.transaction`'s work. */
export class Tx implements Queryable {
  /** Sent with COMMIT, in the same round trip. */
  readonly closing: Bound[] = [];
  /** BEGIN has been sent (counted so before its answer: if the statement sent with it fails, BEGIN has run). */
  open = false;

  constructor(private readonly client: PoolClient) {}

  /** BEGIN with `statements` (each run in turn), in one round trip; answers the last one's rows. */
  async begin(statements: string[]): Promise<Record<string, unknown>[]> {
    this.open = true;
    return (await simple(this.client, ['BEGIN', ...statements])).at(-1)!.rows;
  }

  /**
   * The first statement goes with BEGIN, written in as a simple query when its values can be
   * written as literals (it is then planned on this call only); later ones run by name.
   */
  async run<Row>(statement: Statement<Row>, values: unknown[] = []): Promise<Row[]> {
    if (!this.open) {
      if (values.every(isLiteral)) return (await this.begin([statement.bind(values).inline()])) as Row[];
      await this.begin([]);
    }
    return (await this.client.query({ name: statement.name, text: statement.text, values })).rows as Row[];
  }

  /** Schema maintenance inside this transaction, as `Db.execute`. */
  async execute(text: string): Promise<void> {
    if (this.open) await this.client.query(text);
    else await this.begin([text]);
  }

  /** A statement to run last, with the commit: part of this transaction, at no round trip of its own. */
  atCommit(statement: Bound): void {
    this.closing.push(statement);
  }

  /** What `atCommit` left, and COMMIT, in one round trip (with BEGIN, when nothing has been sent yet). */
  async commit(): Promise<void> {
    if (!this.open && this.closing.length === 0) return;
    const closing = [...this.closing.map((statement) => statement.inline()), 'COMMIT'];
    if (this.open) await simple(this.client, closing);
    else await this.begin(closing);
    this.open = false;
  }
}

/** Statements as one simple query; answers each one's result. */
async function simple(client: Pool | PoolClient, statements: string[]): Promise<QueryResult[]> {
  const result = (await client.query(statements.join('; '))) as QueryResult | QueryResult[];
  return Array.isArray(result) ? result : [result];
}
