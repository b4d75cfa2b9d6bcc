import { Database, Statement } from './statement';

export interface LeaseSpec {
  /** Names the claim's prepared statement. */
  name: string;
  table: string;
  /** The primary key column. */
  key: string;
  /** The "not before" column: it holds the lease while a row is worked on, and its backoff after. */
  leaseColumn: string;
  /** Which rows are due; its parameters are numbered from $3 on ($1 is the lease, $2 the limit). */
  due: string;
  orderBy: string;
  returning: string;
  /** More assignments made by the claim, e.g. `attempts = attempts + 1`. */
  set?: string;
  /**
   * What the claim answers, a query over the claimed rows (the CTE `claimed`); by default
   * the rows themselves. A data-modifying one (say, an INSERT … SELECT … FROM claimed
   * RETURNING …) records something about the claim in the same statement, so in the same commit.
   */
  then?: string;
  /** More common table expressions after `claimed`, data-modifying ones too, for `then` to use: `name AS (…), …`. */
  with?: string;
}

/**
 * Claim, commit, work, record: the one way rows are taken for work outside the database
 * (a broker publish, a gateway query, a merchant call). `claim` takes up to `limit` due rows
 * with SKIP LOCKED and pushes their lease column `leaseMs` ahead in a single statement that
 * commits on its own, so no connection or transaction is held while the outside work runs,
 * any number of processes claim side by side (G8), and a process that dies mid-work loses
 * only its lease: the rows come due again when it expires.
 */
export class Lease<Row> {
  private readonly statement: Statement<Row>;

  constructor(spec: LeaseSpec) {
    // The claimed rows come back in no particular order: callers that care sort them.
    this.statement = new Statement(`claim ${spec.name}`, `WITH claimed AS (
        UPDATE ${spec.table} SET ${spec.leaseColumn} = now() + $1 * interval '1 millisecond'${spec.set ? `, ${spec.set}` : ''}
         WHERE ${spec.key} IN (SELECT ${spec.key} FROM ${spec.table} WHERE ${spec.due}
                                ORDER BY ${spec.orderBy} LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING ${spec.returning})${spec.with ? `, ${spec.with}` : ''}
      ${spec.then ?? 'SELECT * FROM claimed'}`);
  }

  claim(database: Database, leaseMs: number, limit: number, ...parameters: unknown[]): Promise<Row[]> {
    return this.statement.run(database, [Math.ceil(leaseMs), limit, ...parameters]);
  }
}

/** Exponential backoff after `failures` failures in a row: `baseMs`, doubling, never past `maxMs`. */
export function backoffMs(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}
