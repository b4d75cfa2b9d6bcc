import { Logger } from '@nestjs/common';
import { DatabaseError, PoolClient, QueryResult } from 'pg';
import { Bound } from './sql';

/** SQLSTATE invalid_sql_statement_name: EXECUTE of a statement this server connection does not have. */
const NO_SUCH_STATEMENT = '26000';

/**
 * Sends statements as one simple query. A bound statement goes as `EXECUTE` of its prepared
 * plan where it can (`Bound.execute`), `PREPARE`d first on a connection that has not yet run
 * it: one round trip, once per connection and statement. Each is prepared on its own, and
 * marked only once it exists (a prepared statement is not undone by a rollback).
 *
 * Behind a pooler in transaction mode (PgBouncer) a connection here is a different server
 * connection in each transaction, which does not have what another prepared. The first
 * `EXECUTE` that finds its statement missing turns this off for the process: statements are
 * written in whole from then on, as they were before plans were prepared, and the query is
 * sent again that way when it began its own transaction (nothing of it was kept).
 */
export class PreparedPlans {
  private readonly logger = new Logger(PreparedPlans.name);
  private readonly preparedOn = new WeakMap<PoolClient, Set<string>>();
  private on = true;

  /** `fresh`: the query begins its own transaction (its first statement is BEGIN, or it runs alone), so it may be sent again. */
  async send(client: PoolClient, statements: (string | Bound)[], fresh: boolean): Promise<QueryResult[]> {
    if (!this.on) return query(client, statements, false);
    await this.prepare(client, statements);
    try {
      return await query(client, statements, true);
    } catch (error) {
      if (!(error instanceof DatabaseError) || error.code !== NO_SUCH_STATEMENT) throw error;
      this.on = false;
      this.logger.warn(`the database forgot a statement prepared on this connection (a pooler in transaction mode?): statements are sent written in from now on (${error.message})`);
      if (!fresh) throw error;
      if (statements[0] === 'BEGIN') await client.query('ROLLBACK');
      return query(client, statements, false);
    }
  }

  private async prepare(client: PoolClient, statements: (string | Bound)[]): Promise<void> {
    let prepared = this.preparedOn.get(client);
    if (!prepared) this.preparedOn.set(client, (prepared = new Set()));
    for (const { statement } of statements.filter((each): each is Bound => each instanceof Bound)) {
      if (!statement.preparable || prepared.has(statement.sqlName)) continue;
      await client.query(statement.prepareText);
      prepared.add(statement.sqlName);
    }
  }
}

async function query(client: PoolClient, statements: (string | Bound)[], executing: boolean): Promise<QueryResult[]> {
  const text = statements.map((each) => (typeof each === 'string' ? each : executing && each.statement.preparable ? each.execute() : each.inline())).join('; ');
  const result = (await client.query(text)) as QueryResult | QueryResult[];
  return Array.isArray(result) ? result : [result];
}
