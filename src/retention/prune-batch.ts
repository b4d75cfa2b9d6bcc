import type { Db } from '../database/db';
import { Statement } from '../database/sql';
import type { PrunedBatch } from './retention.service';

/** What an owner's prune statement answers: one row, however many it deleted. */
export interface PrunedRow {
  pruned: number;
  /** The ordering key of the last row it deleted, as text (null when none went). */
  reached: string | null;
}

// Never wait long behind another lock (a migration, a VACUUM FULL): give up this round rather
// than have the hot path queue up behind our waiting delete.
const shortLockWait = new Statement('retention prune lock wait', `SET LOCAL lock_timeout = '2s'`);

/**
 * Runs one batch of an owner's prune statement in a short transaction of its own. The
 * statement takes $1 the age in ms, $2 the batch's limit and $3 where the round's last batch
 * stopped (null for the first), and answers how many rows went and where it stopped.
 */
export function pruneBatch(db: Db, statement: Statement<PrunedRow>, olderThanMs: number, limit: number, from?: string): Promise<PrunedBatch> {
  return db.transaction(async (transaction) => {
    const [{ pruned, reached }] = await transaction.run(statement, [olderThanMs, limit, from ?? null]);
    return { pruned, reached: reached ?? undefined };
  }, [shortLockWait.bind([])]);
}
