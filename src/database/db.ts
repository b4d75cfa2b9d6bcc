import { Logger } from '@nestjs/common';
import { DatabaseError, Pool, PoolClient, QueryConfig } from 'pg';
import { PreparedPlans } from './prepared-plans';
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
  private readonly plans = new PreparedPlans();

  constructor(private readonly pool: Pool) {
    // An idle connection the server drops (a restart, an outage) is an 'error' on the pool;
    // unhandled, it would end the process. The next statement simply takes a new connection.
    pool.on('error', (error) => this.logger.warn(`an idle database connection failed: ${error.message}`));
  }

  async run<Row>(statement: Statement<Row>, values: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query(queryOf(statement, values))).rows as Row[];
  }

  /**
   * Several statements as one simple query: one round trip, and PostgreSQL runs them as one
   * transaction (if one fails, none is kept). Answers each statement's rows.
   */
  async runTogether(statements: Bound[]): Promise<Record<string, unknown>[][]> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      return (await this.plans.send(client, statements, true)).map((each) => each.rows);
    } catch (error) {
      // An error the server answered (a refused move) leaves the connection as good as before; any other may not.
      if (!(error instanceof DatabaseError)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Runs `work` in a transaction on one connection. BEGIN costs no round trip of its own: it
   * is sent with `opening` (statements run in turn, whose answers `work` takes with
   * `Tx.run` or `Tx.answerTo`) when there is one, or else with the first statement `work`
   * runs; and what `work` leaves with `Tx.atCommit` goes with COMMIT. Under load every
   * round trip is a wait for a pooled connection's turn on a busy event loop, so this saves
   * one or two on every transaction. Nothing may wait on the network inside `work` (a
   * broker, a merchant): the connection is held until it returns.
   */
  async transaction<T>(work: (tx: Tx) => Promise<T>, opening: Bound[] = []): Promise<T> {
    const client = await this.pool.connect();
    const tx = new Tx(client, this.plans);
    let broken: Error | undefined;
    try {
      if (opening.length > 0) await tx.begin(opening);
      const value = await work(tx);
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
  /** What each statement sent with BEGIN answered, until it is taken (`answerTo`, `run`). */
  private readonly answers = new Map<string, Record<string, unknown>[]>();

  constructor(
    private readonly client: PoolClient,
    private readonly plans: PreparedPlans,
  ) {}

  /** BEGIN with `statements` (each run in turn), in one round trip; their answers are kept for `answerTo` and `run`. */
  async begin(statements: Bound[]): Promise<void> {
    this.open = true;
    const results = await this.plans.send(this.client, ['BEGIN', ...statements], true);
    statements.forEach((statement, index) => this.answers.set(keyOf(statement.statement, statement.values), results[index + 1].rows));
  }

  /** The rows `statement`, sent with BEGIN, answered. */
  answerTo<Row>(statement: Bound<Row>): Row[] {
    const key = keyOf(statement.statement, statement.values);
    const rows = this.answers.get(key);
    if (!rows) throw new Error(`${statement.statement.name} was not sent with BEGIN`);
    this.answers.delete(key);
    return rows as Row[];
  }

  /**
   * A statement sent ahead with BEGIN, with the same values, is answered from there, once
   * (so only reads whose answer nothing in between can change are sent ahead). The first
   * statement goes with BEGIN, written in as a simple query when its values can be written
   * as literals (it is then planned on this call only); later ones run by name.
   */
  async run<Row>(statement: Statement<Row>, values: unknown[] = []): Promise<Row[]> {
    if (!this.open && values.every(isLiteral)) {
      // Sent with BEGIN as this call's own, not ahead: its answer is taken now, so the same statement later runs again.
      const bound = statement.bind(values);
      await this.begin([bound]);
      return this.answerTo(bound);
    }
    if (!this.open) await this.begin([]);
    if (this.answers.size > 0 && values.every(isLiteral)) {
      const key = keyOf(statement, values);
      const answered = this.answers.get(key);
      if (answered) {
        this.answers.delete(key);
        return answered as Row[];
      }
    }
    return (await this.client.query(queryOf(statement, values))).rows as Row[];
  }

  /** Schema maintenance inside this transaction, as `Db.execute`. */
  async execute(text: string): Promise<void> {
    const texts = this.open ? [text] : ['BEGIN', text];
    this.open = true;
    await this.plans.send(this.client, texts, texts[0] === 'BEGIN');
  }

  /** A statement to run last, with the commit: part of this transaction, at no round trip of its own. */
  atCommit(statement: Bound): void {
    this.closing.push(statement);
  }

  /** What `atCommit` left, and COMMIT, in one round trip (with BEGIN, when nothing has been sent yet). */
  async commit(): Promise<void> {
    if (!this.open && this.closing.length === 0) return;
    const closing: (string | Bound)[] = [...this.closing, 'COMMIT'];
    if (!this.open) closing.unshift('BEGIN');
    this.open = true;
    await this.plans.send(this.client, closing, closing[0] === 'BEGIN');
    this.open = false;
  }
}

/** The query pg sends for `statement`: by its name, unless it is planned on every call. */
function queryOf(statement: Statement<unknown>, values: unknown[]): QueryConfig {
  return statement.options.planEachCall ? { text: statement.text, values } : { name: statement.name, text: statement.text, values };
}

/** A statement and its values, as `Tx.answers` knows them. */
function keyOf(statement: Statement<unknown>, values: unknown[]): string {
  return `${statement.name}\u0000${JSON.stringify(values)}`;
}
