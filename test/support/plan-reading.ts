/** One node of `EXPLAIN (ANALYZE, FORMAT JSON)`, as far as the plan tests read it. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/**
 * An index scan that throws away this many rows is a full scan by another name (the listing
 * read backward for the 20k FAILED rows among 300k was one).
 */
const MAX_ROWS_FILTERED = 10_000;

/**
 * Why the plan reads one of `bigTables` whole (or most of it), or undefined when it does not:
 * a sequential scan, a scan that filters most of what it reads away, a sort of a whole table.
 */
export function fullScanIn(node: PlanNode, bigTables: Set<string>, path: string[] = []): string | undefined {
  const here = [...path, nodeName(node)];
  const big = (each: PlanNode) => bigTables.has(each['Relation Name'] ?? '');
  if (node['Node Type'] === 'Seq Scan' && big(node)) return here.join(' → ');
  const filtered = (node['Rows Removed by Filter'] ?? 0) * (node['Actual Loops'] ?? 1);
  if (big(node) && filtered > MAX_ROWS_FILTERED) return `${here.join(' → ')} (read ${filtered} rows only to filter them out)`;
  if (node['Node Type'] === 'Sort' && node.Plans?.some((input) => input['Node Type'] === 'Seq Scan' && big(input))) {
    return `${here.join(' → ')} (sorting a whole table)`;
  }
  for (const input of node.Plans ?? []) {
    const found = fullScanIn(input, bigTables, here);
    if (found) return found;
  }
  return undefined;
}

/** A node as a plan printout names it: its type, and the index or table it reads. */
export function nodeName(node: PlanNode): string {
  const on = node['Index Name'] ?? node['Relation Name'];
  return on ? `${node['Node Type']} on ${on}` : node['Node Type'];
}

/** The indexes the plan reads. */
export function indexesIn(node: PlanNode): string[] {
  return [...(node['Index Name'] ? [node['Index Name']] : []), ...(node.Plans ?? []).flatMap(indexesIn)];
}
