/** A value a statement can also be sent with written in, as a quoted literal (see `Bound.inline`). */
export type Literal = string | number | boolean | null | Date | string[];

const statements = new Map<string, Statement<unknown>>();
/** What `PREPARE` takes: a query or a change of rows, not a utility command. */
const PREPARABLE = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|VALUES|TABLE)\b/i;

export interface StatementOptions {
  /**
   * Sent unnamed, so PostgreSQL plans it with its values on every call. For a statement whose
   * plan depends on a value, as a time bound on a table partitioned by day does: planned with
   * the bound, it opens only the partitions the bound leaves; a named statement's plan turns
   * generic after five calls, and a generic plan is made over every partition.
   */
  planEachCall?: boolean;
}

/**
 * One SQL statement of a module's repository, with a name. PostgreSQL parses and plans it
 * once per connection and runs it by name after: for the short statements of the hot path
 * most of their cost, which an unnamed query pays on every call.
 */
export class Statement<Row = Record<string, unknown>> {
  /** The text cut at its parameters, for `Bound.inline`: text, parameter index, text, … (found once, not on every call). */
  private cut?: (string | number)[];
  private counted?: number | null;
  /** Its name as a prepared statement of SQL's own (`PREPARE`), apart from the names pg gives the protocol's: short, and one per statement in this process. */
  readonly sqlName = `bs_${statements.size + 1}`;

  constructor(
    readonly name: string,
    readonly text: string,
    readonly options: StatementOptions = {},
  ) {
    const known = statements.get(name);
    if (known && known.text !== text) throw new Error(`two statements are named ${name}`);
    // The same name and text twice (a module loaded twice) is the same statement, under the first's SQL name.
    if (known) this.sqlName = known.sqlName;
    else statements.set(name, this);
  }

  /** The text cut at its `$n` parameters: every even element is text, every odd one a parameter's index from 0. */
  get pieces(): (string | number)[] {
    this.cut ??= this.text.split(/\$(\d+)/).map((piece, index) => (index % 2 === 1 ? Number(piece) - 1 : piece));
    return this.cut;
  }

  /**
   * How many parameters it takes when it can be run in a simple query by `EXECUTE` (see
   * `Bound.execute`), else null: not when it is to be planned on every call, nor when its
   * parameters leave a gap ($1, $3), whose type `PREPARE` could not tell, nor when it is a
   * command `PREPARE` does not take (`SET`). Found once.
   */
  get parameters(): number | null {
    if (this.counted === undefined) {
      const used = new Set(this.pieces.filter((piece): piece is number => typeof piece === 'number'));
      const gapless = [...used].every((index) => index < used.size);
      this.counted = this.options.planEachCall || !PREPARABLE.test(this.text) || !gapless ? null : used.size;
    }
    return this.counted;
  }

  get preparable(): boolean {
    return this.parameters !== null;
  }

  /** `PREPARE`s it under `sqlName` on a connection, for `Bound.execute`. */
  get prepareText(): string {
    return `PREPARE ${this.sqlName} AS ${this.text}`;
  }

  /** The statement with its values, to be sent later beside others in one round trip (`Db.transaction`). */
  bind(values: Literal[]): Bound<Row> {
    return new Bound(this, values);
  }
}

/** Every statement made so far in this process: all of the platform's once its modules are loaded. */
export function everyStatement(): Statement<unknown>[] {
  return [...statements.values()];
}

/** Whether `value` can be written into a statement's text by `Bound.inline`. */
export function isLiteral(value: unknown): value is Literal {
  if (Array.isArray(value)) return value.every((element) => typeof element === 'string');
  return value === null || value instanceof Date || typeof value === 'boolean' || typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
}

/** A literal's text: quoted as pg's `escapeLiteral` quotes; a text array in PostgreSQL's array syntax, each element double-quoted. */
function literalText(value: Literal): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (value instanceof Date) return quoted(value.toISOString());
  if (Array.isArray(value)) return quoted(`{${value.map((element) => `"${element.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`);
  return quoted(value);
}

/**
 * The same text as pg's `escapeLiteral` (quotes and backslashes doubled, and a string with a
 * backslash written as an escape string), by one native replace. pg's builds the literal a
 * character at a time; on the order path, whose events go into the outbox written in as
 * literals, that was an eighth of everything the process allocated.
 */
export function quoted(text: string): string {
  const doubled = text.replace(/['\\]/g, '$&$&');
  return text.includes('\\') ? ` E'${doubled}'` : `'${doubled}'`;
}

/** A statement and its values, not sent yet. */
export class Bound<Row = Record<string, unknown>> {
  constructor(
    readonly statement: Statement<Row>,
    readonly values: Literal[],
  ) {}

  /**
   * The statement's text with its values written in as literals, for a simple query that
   * carries several statements in one round trip (the extended protocol, which takes
   * parameters, carries one). Strings, whole numbers, booleans, null, instants and text
   * arrays are taken (see `literalText`); the literal takes its type from where it stands,
   * as a parameter does. Every `$n` of the text is read as a parameter, so such a statement
   * has none in its own literals.
   */
  inline(): string {
    let text = '';
    this.statement.pieces.forEach((piece, index) => {
      if (index % 2 === 0) {
        text += piece;
        return;
      }
      text += this.literal(piece as number);
    });
    return text;
  }

  /**
   * The same as `inline`, run by the statement's `PREPARE`d plan on the connection (which
   * must have it: `Statement.prepareText`), with the values written in as its arguments.
   * PostgreSQL then parses a few words rather than the whole statement, and plans it as it
   * plans a named one: generic once that costs no more, so not again on every call.
   */
  execute(): string {
    const count = this.statement.parameters ?? 0;
    const args = Array.from({ length: count }, (_, index) => this.literal(index));
    return count === 0 ? `EXECUTE ${this.statement.sqlName}` : `EXECUTE ${this.statement.sqlName}(${args.join(', ')})`;
  }

  private literal(index: number): string {
    const value = this.values[index];
    if (!isLiteral(value)) throw new Error(`${this.statement.name}: $${index + 1} cannot be written as a literal`);
    return literalText(value);
  }
}
