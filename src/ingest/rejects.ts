import type { OutputMode } from '../output/mode.js';
import { printJson } from '../output/json.js';
import { printTables, toCsv, type Cell } from '../output/table.js';
import { exactRows, writeJsonRows } from '../output/json-rows.js';
import { terminalSafe, writeOut } from '../output/terminal.js';
import { wholeNumber } from '../core/flags.js';
import { Store } from '../store/store.js';

export interface RejectRow {
  source: string;
  line: number;
  reason: string;
  raw: string | null;
}

const REJECTS_SQL = `SELECT s.uri AS source, r.source_pos AS line, r.reason, r.raw
     FROM rejects r JOIN sources s USING (source_id)
     WHERE $f IS NULL OR contains(s.uri, $f)
     ORDER BY r.source_id, r.source_pos`;

export async function listRejects(store: Store, sourceFilter?: string): Promise<RejectRow[]> {
  const rows = await store.all(REJECTS_SQL, { f: sourceFilter ?? null });
  return rows.map((r) => ({ source: String(r.source), line: Number(r.line), reason: String(r.reason), raw: (r.raw as string | null) ?? null }));
}

export async function runRejects(flags: { db: string; source?: string; limit: string; mode: OutputMode }): Promise<void> {
  const limit = wholeNumber('--limit', flags.limit, { hint: 'e.g. --limit 50' });
  const store = await Store.open(flags.db, { readOnly: true });
  try {
    const columns = ['source', 'line', 'reason', 'raw'];
    // --ndjson and --csv stream from DuckDB: a source with millions of rejects is never held whole.
    if (flags.mode === 'ndjson' || flags.mode === 'csv') {
      const result = await store.stream(REJECTS_SQL, { f: flags.source ?? null });
      if (flags.mode === 'ndjson') {
        await writeJsonRows('ndjson', result.deduplicatedColumnNames(), exactRows(result));
        return;
      }
      let header = true;
      for await (const chunk of result.yieldRowsJson()) {
        const text = toCsv(columns, chunk as Cell[][]);
        await writeOut(header ? text : text.slice(text.indexOf('\n') + 1));
        header = false;
      }
      if (header) await writeOut(toCsv(columns, []));
      return;
    }
    const rows = await listRejects(store, flags.source);
    if (flags.mode === 'json') return printJson(rows);
    // Nothing to list: one line, not a table with a header and no rows (--csv keeps its header,
    // --json / --ndjson stay an empty array / no line, for scripts).
    if (rows.length === 0) {
      await writeOut(flags.source === undefined ? 'no rejects: every record was read\n' : `no rejects from a source matching ${terminalSafe(flags.source)}\n`);
      return;
    }
    const cells: Cell[][] = rows.map((r) => [r.source, r.line, r.reason, r.raw]);
    const shown = cells.slice(0, limit);
    await printTables(flags.mode, [{
      title: `${rows.length} rejected record${rows.length === 1 ? '' : 's'}`,
      columns, rows: shown,
      note: rows.length > shown.length ? `… ${rows.length - shown.length} more (--csv or --json for all)` : undefined,
    }]);
  } finally {
    store.close();
  }
}
