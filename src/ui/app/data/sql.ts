/** The SQL console: a statement through `evtrail query`'s runner, the first rows kept. */
import { streamQuery } from '../../../query/query.js';
import type { Store } from '../../../store/store.js';

export interface SqlResult {
  columns: string[];
  rows: unknown[][];
  /** More rows than kept. */
  more: boolean;
  ms: number;
}

export const SQL_ROWS = 1000;

export async function runSql(store: Store, sql: string): Promise<SqlResult> {
  const t0 = performance.now();
  const result = await streamQuery(store, sql);
  const rows: unknown[][] = [];
  let more = false;
  for await (const chunk of result.rows) {
    for (const row of chunk) {
      if (rows.length < SQL_ROWS) rows.push(row);
      else more = true;
    }
    // Stop reading once the screenful (and then some) is kept: the rest is never fetched.
    if (more) break;
  }
  return { columns: result.columns, rows, more, ms: Math.round(performance.now() - t0) };
}
