/**
 * The dead-letter rows (`evtrail rejects`): what ingest could not read, with its source, line and
 * reason. `runRejects` returns data, handed to `show` while the store is open (with `streamed`
 * the rows stream from DuckDB); src/cli/commands/rejects.ts reads the flags and shows the data
 * with ./rejects-render.ts.
 */
import type { DuckDBResult } from '@duckdb/node-api';
import { Store } from '../store/store.js';

export interface RejectRow {
  source: string;
  line: number;
  reason: string;
  raw: string | null;
}

export interface RejectsOptions {
  db: string;
  /** Only sources whose path contains this text. */
  source?: string;
  /** Stream every row from DuckDB (--ndjson, --csv): a source with millions of rejects is never held whole. */
  streamed: boolean;
}

/** The rejects as a list, or (`streamed`) DuckDB's result to read chunk by chunk. */
export type RejectsResult =
  | { kind: 'list'; source?: string; rows: RejectRow[] }
  | { kind: 'stream'; result: DuckDBResult };

const REJECTS_SQL = `SELECT s.uri AS source, r.source_pos AS line, r.reason, r.raw
     FROM rejects r JOIN sources s USING (source_id)
     WHERE $f IS NULL OR contains(s.uri, $f)
     ORDER BY r.source_id, r.source_pos`;

export async function listRejects(store: Store, sourceFilter?: string): Promise<RejectRow[]> {
  const rows = await store.all(REJECTS_SQL, { f: sourceFilter ?? null });
  return rows.map((r) => ({ source: String(r.source), line: Number(r.line), reason: String(r.reason), raw: (r.raw as string | null) ?? null }));
}

/** Reads the rejects as `options` say and hands them to `show` before the store closes. */
export async function runRejects(options: RejectsOptions, show: (result: RejectsResult) => Promise<void>): Promise<void> {
  const store = await Store.open(options.db, { readOnly: true });
  try {
    if (options.streamed) await show({ kind: 'stream', result: await store.stream(REJECTS_SQL, { f: options.source ?? null }) });
    else await show({ kind: 'list', source: options.source, rows: await listRejects(store, options.source) });
  } finally {
    store.close();
  }
}
