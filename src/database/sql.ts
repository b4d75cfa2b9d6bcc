import { escapeLiteral } from 'pg';

/** A value a statement can also be sent with written in, as a quoted literal (see `Bound.inline`). */
export type Literal = string | number | boolean | null;

const texts = new Map<string, string>();

/**
 * One SQL statement of a module's repository, with a name. PostgreSQL parses and plans it
 * once per connection and runs it by name after: for the short statements of the hot path
 * most of their cost, which an unnamed query pays on every call.
 */
export class Statement<Row = Record<string, unknown>> {
  constructor(
    readonly name: string,
    readonly text: string,
  ) {
    if (texts.has(name) && texts.get(name) !== text) throw new Error(`two statements are named ${name}`);
    texts.set(name, text);
  }

  /** The statement with its values, to be sent later beside others in one round trip (`Db.transaction`). */
  bind(values: Literal[]): Bound<Row> {
    return new Bound(this, values);
  }
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
   * parameters, carries one). Each value is quoted by pg's own `escapeLiteral`; only
   * strings, whole numbers, booleans and null are taken, which need nothing more. Every
   * `$n` of the text is read as a parameter, so such a statement has none in its own literals.
   */
  inline(): string {
    return this.statement.text.replace(/\$(\d+)/g, (_, index: string) => {
      const value = this.values[Number(index) - 1];
      if (value === null) return 'NULL';
      if (typeof value === 'boolean') return String(value);
      if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
      if (typeof value === 'string') return escapeLiteral(value);
      throw new Error(`${this.statement.name}: $${index} cannot be written as a literal`);
    });
  }
}
