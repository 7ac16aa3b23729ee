/**
 * The one place SQL text is given a value or a name (docs/architecture.md §5, "The store's
 * door"). A value the user typed is bound, not spliced: a condition is a Fragment, its SQL with
 * a named parameter for each value and the values beside it, and Fragments combine (and, sql`…`,
 * map) keeping their values. Spliced text (sqlString, sqlIdent) is for what DuckDB cannot
 * bind: names, file paths in table functions and COPY, statements that define views or macros.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import { listValue } from './duckdb.js';

/**
 * A string as a DuckDB literal: quotes doubled (DuckDB's literals know no backslash escapes, so a
 * backslash is itself). A NUL would end the statement's text where it stands, so it is spelt
 * chr(0) in an expression of its own.
 */
export function sqlString(value: string): string {
  const quoted = `'${value.replaceAll("'", "''")}'`;
  return value.includes('\0') ? `(${quoted.replaceAll('\0', "' || chr(0) || '")})` : quoted;
}

/** A name (column, table, view) as a DuckDB identifier: in double quotes, quotes doubled. */
export function sqlIdent(name: string): string {
  if (name.includes('\0')) throw new Error(`an SQL name cannot hold a NUL: ${JSON.stringify(name)}`);
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A JSON path for DuckDB's JSON functions (`$."key"[0]."inner"`): every key quoted, so a key
 * holding a dot, a bracket or a `$` is one key. Inside the quotes DuckDB reads `\"` as a quote
 * and `\\` as a backslash, so both are escaped (a backslash left alone would swallow the quote
 * after it: `a\` or `a\"b` would be a path error, and `a\\b` would read the key `a\b`). The path
 * is text: a statement takes it as a value (sqlString, or bound). DuckDB's paths cannot name an
 * empty key (`$.""` is an error).
 */
export function jsonPath(keys: readonly (string | number)[]): string {
  return '$' + keys.map((k) => (typeof k === 'number' ? `[${k}]` : `."${k.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`)).join('');
}

/** A Fragment's values by name: `$p1` in its SQL is `p1` here. */
export type Values = Readonly<Record<string, DuckDBValue>>;

/**
 * SQL text with its bound values. Values are named (`$p1`, `$p2`, …, numbered once per process,
 * so two Fragments never share a name): a condition may appear twice in one statement (a cut in
 * both sides of a diff) and binds the same value at each place, where positional `?`s would need
 * the value repeated in order. `map` wraps the text in more SQL (a projection's generator that
 * takes its condition as text) and keeps the values.
 */
export class Fragment {
  constructor(
    readonly sql: string,
    readonly params: Values = {},
  ) {}

  map(wrap: (sql: string) => string): Fragment {
    return new Fragment(wrap(this.sql), this.params);
  }

  toString(): string {
    // A Fragment spliced into a template by mistake would lose its values: fail loudly.
    throw new Error(`a Fragment is spliced with sql\`…\`, and() or map(), not as text: ${this.sql}`);
  }
}

let named = 0;

/**
 * SQL with values bound: sql`stream = ${key}` is `stream = $p7` with { p7: key } beside it; a
 * Fragment interpolated keeps its own text and values (raw() for trusted text: a column name).
 * A value's type is node-api's guess from it: text VARCHAR, a whole number INTEGER or BIGINT, a
 * bigint HUGEINT (compared with a BIGINT column that would cast the column: pass a number).
 */
export function sql(strings: TemplateStringsArray, ...values: (Fragment | DuckDBValue)[]): Fragment {
  let text = strings[0]!;
  const params: Record<string, DuckDBValue> = {};
  values.forEach((v, i) => {
    if (v instanceof Fragment) {
      text += v.sql;
      Object.assign(params, v.params);
    } else {
      const name = `p${++named}`;
      text += `$${name}`;
      params[name] = v;
    }
    text += strings[i + 1]!;
  });
  return new Fragment(text, params);
}

/** One value, bound: `$pN`. */
export function param(value: DuckDBValue): Fragment {
  return sql`${value}`;
}

/** Values, each bound, separated by commas (for IN (…) and VALUES). */
export function list(values: readonly DuckDBValue[]): Fragment {
  return join(values.map(param), ', ');
}

/**
 * Many values as one bound LIST (`unnest($pN)` reads them as rows): one parameter however
 * many values, where a `$p` each would make DuckDB bind and plan thousands.
 */
export function array(values: readonly DuckDBValue[]): Fragment {
  return param(listValue([...values]));
}

/** Fragments one after another with `separator` (trusted text: ', ', ' UNION ALL ') between them. */
export function join(fragments: readonly Fragment[], separator: string): Fragment {
  return combine(fragments, (...texts) => texts.join(separator));
}

/** Trusted SQL text (ours, not the user's) as a Fragment without values. */
export function raw(text: string): Fragment {
  return new Fragment(text);
}

/** SQL built from several Fragments' texts (`build` gets them in order), with all their values. */
export function combine(fragments: readonly Fragment[], build: (...texts: string[]) => string): Fragment {
  return new Fragment(build(...fragments.map((f) => f.sql)), Object.assign({}, ...fragments.map((f) => f.params)) as Values);
}

/** Conditions joined with AND, each in parentheses; the ones left out (undefined, false) skipped; none is TRUE. */
export function and(...conditions: (Fragment | string | undefined | null | false)[]): Fragment {
  const parts = conditions.filter((c): c is Fragment | string => c !== undefined && c !== null && c !== false && c !== '');
  if (parts.length === 0) return raw('TRUE');
  const fragments = parts.map((c) => (typeof c === 'string' ? raw(c) : c));
  return new Fragment(fragments.map((f) => `(${f.sql})`).join(' AND '), Object.assign({}, ...fragments.map((f) => f.params)) as Values);
}
