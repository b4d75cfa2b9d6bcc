import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * Each table belongs to one module (the migrations create them), and only that module's
 * `*.repository.ts` files hold SQL naming it: any other module asks the owner through a typed
 * method of a provider the owner exports. A failure names the file and the table; move the
 * statement into a repository of the owning module (or call the method it already has).
 */
const OWNERS: Record<string, string> = {
  orders: 'orders',
  order_items: 'orders',
  order_views: 'orders',
  stock: 'stock',
  stock_reservations: 'stock',
  notifications: 'notify',
  deliveries: 'notify',
  endpoints: 'notify',
  outbox: 'coordinator',
  failed_messages: 'compensation',
  failed_message_actions: 'compensation',
  failed_message_counts: 'compensation',
  processed_messages: 'compensation',
  payment_incidents: 'payment',
  sandbox_charges: 'payment',
  merchants: 'merchants',
  ops_actions: 'audit',
  ops_alerts: 'alerts',
  ops_alert_failures: 'alerts',
};

const SRC = join(__dirname, '..');
// The ops console is a browser bundle of its own; this file names every table in OWNERS.
const SKIPPED = [join(SRC, 'ops', 'console'), __filename];

/** SQL that names `table`: read from, joined, inserted into, updated or deleted from, quoted or schema-qualified or not. */
const naming = (table: string) => new RegExp(`\\b(?:FROM|JOIN|INTO|UPDATE)\\s+(?:public\\.)?"?${table}"?(?![\\w"])`, 'i');

/**
 * Comments blanked out, so prose ("what an order took from stock") is not read as SQL. Strings
 * are matched too, only so that a `//` or `/*` inside one is not taken for a comment.
 */
function withoutComments(source: string): string {
  return source.replace(/(\/\/[^\n]*|\/\*[\s\S]*?\*\/)|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`/g, (match, comment?: string) =>
    comment === undefined ? match : comment.replace(/[^\n]/g, ' '),
  );
}

function sources(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (SKIPPED.includes(path)) return [];
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** "file: table (owned by module)" for each table a file names in SQL without being a repository of its owner. */
function trespasses(): string[] {
  return sources(SRC).flatMap((path) => {
    const file = relative(SRC, path).split(sep).join('/');
    const module = file.split('/')[0];
    const repository = file.endsWith('.repository.ts');
    const code = withoutComments(readFileSync(path, 'utf8'));
    return Object.entries(OWNERS)
      .filter(([table, owner]) => !(repository && module === owner) && naming(table).test(code))
      .map(([table, owner]) => `src/${file}: ${table} (owned by ${owner})`);
  });
}

describe('table ownership', () => {
  it('finds SQL naming a table only in the repositories of the module that owns it', () => {
    expect(trespasses()).toEqual([]);
  });

  it.each([
    ['SELECT * FROM orders WHERE id = $1', 'orders'],
    ['select 1 from "stock_reservations" r', 'stock_reservations'],
    ['DELETE FROM public.outbox', 'outbox'],
    ['INSERT INTO deliveries (id) VALUES ($1)', 'deliveries'],
    ['LEFT JOIN\n  endpoints e ON true', 'endpoints'],
    ['UPDATE failed_messages SET status = $1', 'failed_messages'],
  ])('reads %j as naming %s', (sql, table) => {
    expect(naming(table).test(sql)).toBe(true);
  });

  it.each([
    ['SELECT * FROM orders_archive', 'orders'],
    ['SELECT * FROM stock_reservations', 'stock'],
    ['const stock = await this.stock.from(order)', 'stock'],
  ])('does not read %j as naming %s', (sql, table) => {
    expect(naming(table).test(sql)).toBe(false);
  });

  it('ignores comments, not strings that look like them', () => {
    expect(withoutComments('// what an order took from stock\nconst x = 1;')).not.toMatch(naming('stock'));
    expect(withoutComments('/* moved from orders */ f();')).not.toMatch(naming('orders'));
    expect(withoutComments("const url = 'http://x'; run(`SELECT 1 FROM orders`);")).toMatch(naming('orders'));
  });
});
