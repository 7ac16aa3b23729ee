import type { OutputMode } from '../output/mode.js';
import { printJson } from '../output/json.js';
import { printTables, toCsv, type Cell } from '../output/table.js';
import { UserError } from '../core/errors.js';
import { Store } from '../store/store.js';

export interface RejectRow {
  source: string;
  line: number;
  reason: string;
  raw: string | null;
}

export async function listRejects(store: Store, sourceFilter?: string): Promise<RejectRow[]> {
  const rows = await store.all(
    `SELECT s.uri AS source, r.source_pos AS line, r.reason, r.raw
     FROM rejects r JOIN sources s USING (source_id)
     WHERE $f IS NULL OR contains(s.uri, $f)
     ORDER BY r.source_id, r.source_pos`,
    { f: sourceFilter ?? null },
  );
  return rows.map((r) => ({ source: String(r.source), line: Number(r.line), reason: String(r.reason), raw: (r.raw as string | null) ?? null }));
}

export async function runRejects(flags: { db: string; source?: string; limit: string; mode: OutputMode }): Promise<void> {
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new UserError(`--limit ${flags.limit}: expected a whole number`, 'e.g. --limit 50');
  const store = await Store.open(flags.db, { readOnly: true });
  try {
    const rows = await listRejects(store, flags.source);
    if (flags.mode === 'json') return printJson(rows);
    const columns = ['source', 'line', 'reason', 'raw'];
    const cells: Cell[][] = rows.map((r) => [r.source, r.line, r.reason, r.raw]);
    if (flags.mode === 'csv') {
      process.stdout.write(toCsv(columns, cells));
      return;
    }
    const shown = cells.slice(0, limit);
    await printTables(flags.mode, [{
      title: rows.length === 0 ? 'no rejects: every record was read' : `${rows.length} rejected record${rows.length === 1 ? '' : 's'}`,
      columns, rows: shown,
      note: rows.length > shown.length ? `… ${rows.length - shown.length} more (--csv or --json for all)` : undefined,
    }]);
  } finally {
    store.close();
  }
}
