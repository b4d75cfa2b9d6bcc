import type { DataSource, EntityManager } from 'typeorm';
import type { BackstopContext } from './backstop-context';

/** Claims (handler, message id) in `processed_messages`; no row back means it was done before. */
export const MARK_PROCESSED_SQL = `INSERT INTO processed_messages (handler, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING message_id`;

export type OnceOutcome = 'done' | 'skipped';

/**
 * Runs `work` at most once per queue and event, in the service's own database: the effect
 * and the record that this event was handled commit in one transaction, so a redelivery, a
 * retry after a crash or a re-run from the console finds the record and does nothing. The
 * service's schema needs the `processed_messages` table (the `ProcessedMessage` entity).
 */
export async function once(dataSource: DataSource, context: BackstopContext, work: (manager: EntityManager) => Promise<unknown>): Promise<OnceOutcome> {
  return dataSource.transaction(async (manager) => {
    const claimed: unknown[] = await manager.query(MARK_PROCESSED_SQL, [context.getQueue(), context.getEventId()]);
    if (claimed.length === 0) return 'skipped';
    await work(manager);
    return 'done';
  });
}
