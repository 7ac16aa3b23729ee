import { UserError, firstLine } from '../core/errors.js';
import { macrosSqlFor } from '../store/macros.js';
import type { Store } from '../store/store.js';
import { exactRows } from '../output/json-rows.js';

export interface QueryResult {
  columns: string[];
  /** Which columns hold JSON text (parsed for --json output). */
  jsonColumns: boolean[];
  rows: AsyncIterableIterator<unknown[][]>;
}

const HINT = 'the store has the tables events, sources, rejects and ingests and the table functions orders_at(t), streams_at(t), positions_at(t) (and *_at_seq(n)); it is opened read-only';

/**
 * Runs user SQL over the store, streaming rows in chunks so a large result never sits whole in
 * memory. Values come JSON-safe: with `exact`, as --json writes them (numbers when exact,
 * RFC 3339 instants); else BIGINT, HUGEINT and timestamps as DuckDB's text. An error in
 * the SQL, found before the first row or while rows stream, is the user's (exit 2).
 */
export async function streamQuery(store: Store, sql: string, options: { exact?: boolean } = {}): Promise<QueryResult> {
  if (sql.trim().replace(/;+$/, '').trim() === '') {
    throw new UserError('no SQL given', 'e.g. evtrail query "select type, count(*) from events group by all"');
  }
  await store.run(macrosSqlFor(sql));
  try {
    const result = await store.stream(sql);
    const types = result.columnTypes();
    return {
      columns: result.deduplicatedColumnNames(),
      jsonColumns: types.map((t) => t.alias === 'JSON'),
      // exact: values for --json / --ndjson (../output/json-values.ts); else DuckDB's text, as tables show it.
      rows: sqlErrors((options.exact ? exactRows(result) : result.yieldRowsJson()) as AsyncIterableIterator<unknown[][]>),
    };
  } catch (error) {
    throw sqlError(error);
  }
}

async function* sqlErrors(rows: AsyncIterableIterator<unknown[][]>): AsyncIterableIterator<unknown[][]> {
  try {
    yield* rows;
  } catch (error) {
    throw sqlError(error);
  }
}

function sqlError(error: unknown): UserError {
  return new UserError(`SQL error: ${firstLine(error).replace(/^Failed to extract statements: /, '')}`, HINT);
}
