import { Pool } from 'pg';
import { Db } from '../../src/database/db';
import { TimePartitions } from '../../src/database/time-partitions';

/**
 * Makes the day partitions of `table` from `daysBack` days ago to today, as the platform
 * makes the coming days': tests that age rows by moving their time back need somewhere to put them.
 */
export async function coverPastDays(databaseUrl: string, table: 'processed_messages' | 'deliveries', daysBack: number): Promise<void> {
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    await new TimePartitions(new Db(pool), table).ensure(new Date(Date.now() - daysBack * 86_400_000), new Date());
  } finally {
    await pool.end();
  }
}
