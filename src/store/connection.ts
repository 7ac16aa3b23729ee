import type { DuckDBAppender, DuckDBConnection, DuckDBPreparedStatement, DuckDBResult, DuckDBValue } from '@duckdb/node-api';
import { exactJsonConverter } from '../output/json-values.js';
import { Fragment } from './sql.js';

export type Row = Record<string, unknown>;

/**
 * A statement's bound values: positional (`?`, in order) or named (`$name`; a Fragment's,
 * ./sql.ts, are named). One statement only: with values DuckDB prepares the text, and a text of
 * several statements is refused.
 */
export type Params = readonly DuckDBValue[] | Readonly<Record<string, DuckDBValue>>;

/**
 * EVTRAIL_SQL_TIMINGS=1: each statement that took 50 ms or more goes to stderr with its wall
 * and CPU time (this process's, all threads), for finding where a command spends its time.
 * Every statement of every command passes here: DuckDB is reached only through a
 * StoreConnection (a Store is one), whose connection nobody else holds.
 */
const SQL_TIMINGS = process.env.EVTRAIL_SQL_TIMINGS === '1';

async function timed<T>(sql: string, work: () => Promise<T>): Promise<T> {
  if (!SQL_TIMINGS) return work();
  const start = performance.now();
  const cpu = process.cpuUsage();
  try {
    return await work();
  } finally {
    const wall = performance.now() - start;
    if (wall >= 50) {
      const used = process.cpuUsage(cpu);
      process.stderr.write(`[sql ${wall.toFixed(0)} ms, cpu ${((used.user + used.system) / 1000).toFixed(0)} ms] ${sql.replace(/\s+/g, ' ').slice(0, 160)}\n`);
    }
  }
}

/** A statement: SQL text with its values beside it (`params`), or a Fragment that carries them. */
export type Statement = string | Fragment;

/** The text and values of a statement (node-api's parameter types are mutable; it does not change them). */
function parts(statement: Statement, params: Params | undefined): [string, DuckDBValue[] | Record<string, DuckDBValue> | undefined] {
  if (!(statement instanceof Fragment)) return [statement, params as DuckDBValue[] | Record<string, DuckDBValue> | undefined];
  if (Array.isArray(params)) throw new Error('a Fragment\'s values are named: pass more of them by name');
  const values = { ...statement.params, ...(params as Record<string, DuckDBValue> | undefined) };
  // Without values, the text runs as it is (it may hold several statements).
  return [statement.sql, Object.keys(values).length ? values : undefined];
}

/**
 * A statement prepared once and run again and again (a watch's audit, batch after batch: DuckDB
 * parses, binds and plans it once); each run timed as every statement is.
 */
export class PreparedStatement {
  readonly #prepared: DuckDBPreparedStatement;

  constructor(readonly sql: string, prepared: DuckDBPreparedStatement) {
    this.#prepared = prepared;
  }

  async run(): Promise<void> {
    await timed(this.sql, () => this.#prepared.run());
  }

  /** Rows as JSON-safe objects, as StoreConnection.all gives them. */
  async all(): Promise<Row[]> {
    const reader = await timed(this.sql, () => this.#prepared.runAndReadAll());
    return reader.getRowObjectsJson() as Row[];
  }

  close(): void {
    this.#prepared.destroySync();
  }
}

/**
 * One DuckDB connection behind the store's door: every statement is timed (above), values are
 * bound rather than spliced (./sql.ts), and the raw connection stays inside.
 */
export class StoreConnection {
  readonly #conn: DuckDBConnection;

  constructor(conn: DuckDBConnection) {
    this.#conn = conn;
  }

  async run(statement: Statement, params?: Params): Promise<void> {
    const [sql, values] = parts(statement, params);
    await timed(sql, () => this.#conn.run(sql, values));
  }

  /** Rows as JSON-safe objects: BIGINT and timestamps as exact strings (no float rounding). */
  async all(statement: Statement, params?: Params): Promise<Row[]> {
    const [sql, values] = parts(statement, params);
    const reader = await timed(sql, () => this.#conn.runAndReadAll(sql, values));
    return reader.getRowObjectsJson() as Row[];
  }

  /**
   * Rows as every --json writes them (src/output/json-values.ts: numbers when exact, RFC 3339
   * instants), for rows that leave as evidence or as a command's output.
   */
  async allExact(statement: Statement, params?: Params): Promise<Row[]> {
    const [sql, values] = parts(statement, params);
    const reader = await timed(sql, () => this.#conn.runAndReadAll(sql, values));
    return reader.convertRowObjects(exactJsonConverter) as Row[];
  }

  /**
   * A result read chunk by chunk (its yield* methods, or src/output/json-rows.ts exactRows), so
   * a large one never sits whole in memory. The time is the statement's until its first chunk
   * is ready (a sort or an aggregate has run whole by then); the reading is the caller's.
   */
  stream(statement: Statement, params?: Params): Promise<DuckDBResult> {
    const [sql, values] = parts(statement, params);
    return timed(sql, () => this.#conn.stream(sql, values));
  }

  /** The columns a query would return, from binding it without running it (a SQL error throws). */
  async columns(sql: string): Promise<string[]> {
    const prepared = await timed(sql, () => this.#conn.prepare(sql));
    return Array.from({ length: prepared.columnCount }, (_, i) => prepared.columnName(i));
  }

  /** A statement to run many times (PreparedStatement); the caller closes it. */
  async prepare(sql: string): Promise<PreparedStatement> {
    return new PreparedStatement(sql, await timed(sql, () => this.#conn.prepare(sql)));
  }

  /**
   * Rows appended to a table with DuckDB's appender (no SQL text, typed values): `fill` appends
   * them, then they are flushed and the appender closed.
   */
  async append(table: string, fill: (appender: DuckDBAppender) => void): Promise<void> {
    await timed(`APPEND INTO ${table}`, async () => {
      const appender = await this.#conn.createAppender(table);
      try {
        fill(appender);
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
    });
  }

  /** Stops the statement running now (DuckDB's "INTERRUPT Error"); no-op between statements. */
  interrupt(): void {
    this.#conn.interrupt();
  }

  /** DuckDB's estimate of the running statement: percentage (-1 when unknown) and rows so far. */
  get progress(): { percentage: number; rows: number } {
    const p = this.#conn.progress;
    return { percentage: p.percentage, rows: Number(p.rows_processed) };
  }

  close(): void {
    this.#conn.closeSync();
  }
}
