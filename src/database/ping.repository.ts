import type { Queryable } from './db';
import { Statement } from './sql';

const ping = new Statement('database ping', 'SELECT 1');

/** Whether the database answers a statement now (readiness); rejects when it does not. */
export async function pingDatabase(database: Queryable): Promise<void> {
  await database.run(ping);
}
