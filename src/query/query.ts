import { UserError, firstLine } from '../core/errors.js';
import { MACROS_SQL } from '../store/macros.js';
import type { Store } from '../store/store.js';

export interface QueryResult {
  columns: string[];
  /** Which columns hold JSON text (parsed for --json output). */
  jsonColumns: boolean[];
  rows: AsyncIterableIterator<unknown[][]>;
}

/**
 * Runs user SQL over the store, streaming rows in chunks so a large result never sits whole in
 * memory. Values come JSON-safe: BIGINT, HUGEINT and timestamps as exact strings.
 */
export async function runQuery(store: Store, sql: string): Promise<QueryResult> {
  await store.run(MACROS_SQL);
  try {
    const result = await store.conn.stream(sql);
    const types = result.columnTypes();
    return {
      columns: result.deduplicatedColumnNames(),
      jsonColumns: types.map((t) => t.alias === 'JSON'),
      rows: result.yieldRowsJson() as AsyncIterableIterator<unknown[][]>,
    };
  } catch (error) {
    throw new UserError(
      `SQL error: ${firstLine(error)}`,
      'the store has the tables events, sources, rejects and ingests (evtrail info shows what they hold); the store is opened read-only',
    );
  }
}
