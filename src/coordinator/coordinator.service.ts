import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createEnvelope, EventMap, RoutingKey } from '@backstop/transport';
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { DataSource, QueryRunner } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { Inlinable, Statement } from '../database/statement';
import { EventTransaction, outboxInsertSql } from './event-transaction';
import { OutboxMessage } from './outbox-message.entity';
import { OutboxPublisher } from './outbox-publisher';

/** Reliable publish (SPEC §7): events commit with their cause, then go out with confirms. */
@Injectable()
export class Coordinator {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly publisher: OutboxPublisher,
  ) {}

  /**
   * Runs `work` in a transaction whose events are published after commit. An `opening`
   * statement is sent with BEGIN, in one round trip, and its rows handed to `work`: a
   * handler's first statement (marking the message processed) is always the same, so its
   * transaction costs one round trip less.
   */
  async transaction<T>(work: (transaction: EventTransaction, opened: Record<string, unknown>[]) => Promise<T>, opening?: Opening): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    let transaction: EventTransaction;
    let value: T;
    try {
      const client = (await runner.connect()) as PoolClient;
      // Marked first: if the opening statement fails, BEGIN has run and ROLLBACK is due.
      markOpen(runner, true);
      const opened = opening ? await beginWith(client, opening) : (await client.query('BEGIN'), []);
      transaction = new EventTransaction(runner.manager, this.publisher.writerLeaseMs);
      value = await work(transaction, opened);
      await client.query(transaction.closingSql());
      markOpen(runner, false);
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
    if (transaction.emitted.length > 0 && transaction.writerLeaseMs > 0) this.publisher.publishSoon(transaction.emitted);
    return value;
  }

  /**
   * A change known in full before it is sent, one statement and the events it causes,
   * written as one simple query, which PostgreSQL runs as one transaction: one round trip
   * where `transaction` takes three (BEGIN, the statement, the commit). If the statement
   * fails, nothing is written and nothing published.
   */
  async commit(change: Opening, events: Emission[]): Promise<void> {
    const writerLeaseMs = this.publisher.writerLeaseMs;
    const envelopes = events.map(({ type, data }) => createEnvelope(type, data));
    const pool = (this.dataSource.driver as PostgresDriver).master as Pool;
    const statements = [change.statement.inline(change.values)];
    if (envelopes.length > 0) statements.push(outboxInsertSql(envelopes, writerLeaseMs));
    await pool.query(statements.join('; '));
    if (envelopes.length > 0 && writerLeaseMs > 0) this.publisher.publishSoon(envelopes);
  }

  /**
   * Records, before work whose outcome lives outside our database, that an event may be
   * owed (PREPARE, checked back by `checkBackId`). One per kind and id: a second call
   * while one is open returns the same row.
   */
  async prepare(kind: string, checkBackId: string): Promise<string> {
    const inserted: { id: string }[] = await this.dataSource.query(
      `INSERT INTO outbox (id, state, kind, check_back_id) VALUES ($1, 'PREPARE', $2, $3)
       ON CONFLICT (kind, check_back_id) WHERE state = 'PREPARE' DO NOTHING RETURNING id`,
      [randomUUID(), kind, checkBackId],
    );
    if (inserted.length > 0) return inserted[0].id;
    const open = await this.dataSource.manager.findOneByOrFail(OutboxMessage, { kind, checkBackId, state: 'PREPARE' });
    return open.id;
  }

  /**
   * An SQL expression: whether outside work of `kind` for the id `checkBackId` (an SQL
   * expression) is under way, so a caller can ask in the statement that reads its own row.
   */
  preparedSql(kind: string, checkBackId: string): string {
    if (!/^[a-z-]+$/.test(kind)) throw new Error(`not a check-back kind: ${kind}`);
    return `EXISTS (SELECT 1 FROM outbox WHERE state = 'PREPARE' AND kind = '${kind}' AND check_back_id = ${checkBackId})`;
  }

  /** The outside work did not happen: nothing is owed. */
  async drop(preparedId: string): Promise<void> {
    await this.dataSource.manager.delete(OutboxMessage, { id: preparedId, state: 'PREPARE' });
  }
}

/** A statement and its values, written inline into a simple query: a transaction's first (sent with its BEGIN), or the whole change of `commit`. */
export interface Opening {
  statement: Statement;
  values: Inlinable[];
}

/** An event a change causes, for `commit`. */
export type Emission = { [K in RoutingKey]: { type: K; data: EventMap[K] } }[RoutingKey];

/** BEGIN and the opening statement as one simple query; answers the statement's rows. */
async function beginWith(client: PoolClient, { statement, values }: Opening): Promise<Record<string, unknown>[]> {
  const results = (await client.query(`BEGIN; ${statement.inline(values)}`)) as unknown as QueryResult[];
  return results[1].rows;
}

/**
 * BEGIN and COMMIT go straight to the runner's connection, the runner marked as in a
 * transaction meanwhile so that its EntityManager joins it (and would nest with a
 * savepoint). TypeORM's `startTransaction` and `commitTransaction` send the same statements
 * through its query pipeline with four transaction broadcasts to subscribers, of which this
 * platform has none: on an order's four transactions, a measurable share of the process's
 * CPU. A failure still goes through `rollbackTransaction`, which these marks make valid.
 */
function markOpen(runner: QueryRunner, open: boolean): void {
  // Both are plain fields of TypeORM's BaseQueryRunner; its own start and commit set them so.
  Object.assign(runner, { isTransactionActive: open, transactionDepth: open ? 1 : 0 });
}
