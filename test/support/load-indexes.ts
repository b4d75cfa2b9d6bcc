/** The part of a bulk load that PostgreSQL does faster after it than row by row, as a restore does. */

/** An index that backs no constraint: the statement that drops it, and the one that makes it again as the migrations made it. */
export interface LoadIndex {
  name: string;
  table: string;
  drop: string;
  make: string;
}

/**
 * The indexes of the public tables (of `tables` only, when given) that back no constraint,
 * each as its drop and its own definition (pg_get_indexdef). A partitioned table's index
 * reads `ON ONLY <table>`: made again without ONLY, it is made on every partition too, so
 * the partitions' own are left out.
 */
export async function indexesBackingNoConstraint(
  query: <Row>(sql: string, values: unknown[]) => Promise<Row[]>,
  tables?: string[],
): Promise<LoadIndex[]> {
  const rows = await query<{ name: string; table: string; definition: string }>(
    `SELECT ic.relname AS name, t.relname AS table, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
      WHERE t.relnamespace = 'public'::regnamespace AND NOT t.relispartition AND ($1::text[] IS NULL OR t.relname = ANY($1))
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
      ORDER BY t.relname, ic.relname`,
    [tables ?? null],
  );
  return rows.map((row) => ({ name: row.name, table: row.table, drop: `DROP INDEX "${row.name}"`, make: row.definition.replace(' ON ONLY ', ' ON ') }));
}
