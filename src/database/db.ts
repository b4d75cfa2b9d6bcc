import { Logger } from '@nestjs/common';
import { Pool, PoolClient, QueryResult } from 'pg';
import { Bound, Statement } from './sql';

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
    const result = (await this.pool.query(statements.map((statement) => statement.inline()).join('; '))) as QueryResult | QueryResult[];
    return (Array.isArray(result) ? result : [result]).map((each) => each.rows);
  }

  /**
   * Runs `work` in a transaction on one connection. `opening` (one statement or several, each
   * run in turn) is sent with BEGIN and what
   * `work` leaves with `Tx.atCommit` with COMMIT, each in the same round trip: a handler's
   * transaction always starts and ends with the same kind of statement, and this saves two
   * round trips on every one. Nothing may wait on the network inside `work` (a broker, a
   * merchant): the connection is held until it returns.
   */
  async transaction<T>(work: (tx: Tx, opened: Record<string, unknown>[]) => Promise<T>, opening?: Bound | Bound[]): Promise<T> {
    const openings = opening === undefined ? [] : [opening].flat();
    const client = await this.pool.connect();
    let broken: Error | undefined;
    let began = false;
    try {
      // Counted as begun before it is sent: if the opening statement fails, BEGIN has run.
      began = true;
      // `opened` is what the last opening statement answered.
      const opened = openings.length > 0 ? (await this.simple(client, ['BEGIN', ...openings.map((each) => each.inline())])).at(-1)!.rows : (await client.query('BEGIN'), []);
      const tx = new Tx(client);
      const value = await work(tx, opened);
      await this.simple(client, [...tx.closing.map((statement) => statement.inline()), 'COMMIT']);
      began = false;
      return value;
    } catch (error) {
      if (began) await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
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

  private async simple(client: PoolClient, statements: string[]): Promise<QueryResult[]> {
    const result = (await client.query(statements.join('; '))) as QueryResult | QueryResult[];
    return Array.isArray(result) ? result : [result];
  }
}

/** One transaction's connection, for the statements of `Db.transaction`'s work. */
export class Tx implements Queryable {
  /** Sent with COMMIT, in the same round trip. */
  readonly closing: Bound[] = [];

  constructor(private readonly client: PoolClient) {}

  async run<Row>(statement: Statement<Row>, values: unknown[] = []): Promise<Row[]> {
    return (await this.client.query({ name: statement.name, text: statement.text, values })).rows as Row[];
  }

  /** Schema maintenance inside this transaction, as `Db.execute`. */
  async execute(text: string): Promise<void> {
    await this.client.query(text);
  }

  /** A statement to run last, with the commit: part of this transaction, at no round trip of its own. */
  atCommit(statement: Bound): void {
    this.closing.push(statement);
  }
}
