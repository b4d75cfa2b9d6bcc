import { escapeLiteral } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/** Where a statement runs: the DataSource (a pooled connection, on its own) or a transaction's EntityManager. */
export type Database = DataSource | EntityManager;

interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

export type Inlinable = string | number | null;

const texts = new Map<string, string>();

/**
 * A statement of the hot path, parsed and planned by PostgreSQL once per connection and
 * executed by name after (TypeORM's `query` sends every statement unnamed, so it is planned
 * on every call: most of the cost of the short statements here). It runs on the pg
 * connection underneath TypeORM, in the caller's transaction when given one, and answers
 * the rows whatever the command, which TypeORM's `query` does not for UPDATE and DELETE.
 */
export class Statement<Row = Record<string, unknown>> {
  constructor(
    readonly name: string,
    readonly text: string,
  ) {
    if (texts.has(name) && texts.get(name) !== text) throw new Error(`two statements are named ${name}`);
    texts.set(name, text);
  }

  /**
   * The statement with its values written in as quoted literals, for a simple query that
   * carries more than one statement (see Coordinator.transaction's opening). Only strings,
   * whole numbers and null: each is quoted by pg's own `escapeLiteral`, and nothing else is
   * needed where this is used. Every `$n` of the text is taken for a parameter, so a
   * statement written in this way holds none inside its own literals.
   */
  inline(values: Inlinable[]): string {
    return this.text.replace(/\$(\d+)/g, (_, index: string) => {
      const value = values[Number(index) - 1];
      if (value === null) return 'NULL';
      if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
      if (typeof value === 'string') return escapeLiteral(value);
      throw new Error(`${this.name}: $${index} cannot be written as a literal`);
    });
  }

  async run(database: Database, values: unknown[] = []): Promise<Row[]> {
    const config = { name: this.name, text: this.text, values };
    const inTransaction = database instanceof EntityManager ? database.queryRunner : undefined;
    const client: PgClient = inTransaction
      ? await inTransaction.connect()
      : ((database instanceof EntityManager ? database.connection : database).driver as PostgresDriver).master;
    return (await client.query(config)).rows as Row[];
  }
}
