import type { OutputMode } from '../output/mode.js';
import { jsonCell, stringifyJson } from '../output/json.js';
import { printTables, toCsv, type Cell } from '../output/table.js';
import { terminalSafe, writeOut as write } from '../output/terminal.js';
import { UserError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { applyLens } from '../store/lens.js';
import { runQuery } from './query.js';

export async function runQueryCommand(sql: string, flags: { db: string; limit: string; mode: OutputMode; tenant?: string }): Promise<void> {
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new UserError(`--limit ${flags.limit}: expected a whole number`, 'e.g. --limit 50');
  const store = await Store.open(flags.db, { readOnly: true });
  try {
    // --tenant: `events` is that tenant's events. The vocabulary mapping is not applied: query
    // shows the events as the source wrote them.
    if (flags.tenant !== undefined) await applyLens(store, { vocabulary: false, tenant: flags.tenant });
    const result = await runQuery(store, sql);
    const parse = (row: unknown[]) =>
      row.map((v, i) => (result.jsonColumns[i] && typeof v === 'string' ? jsonCell(v) : v));
    if (flags.mode === 'json') {
      // Streamed: '[' then one object per row.
      let first = true;
      await write('[');
      for await (const chunk of result.rows) {
        for (const row of chunk) {
          const values = parse(row);
          const obj = Object.fromEntries(result.columns.map((c, i) => [c, values[i]]));
          await write((first ? '\n' : ',\n') + terminalSafe(stringifyJson(obj)));
          first = false;
        }
      }
      await write(first ? ']\n' : '\n]\n');
      return;
    }
    if (flags.mode === 'csv') {
      let header = true;
      for await (const chunk of result.rows) {
        const text = toCsv(result.columns, chunk as Cell[][]);
        await write(header ? text : text.slice(text.indexOf('\n') + 1));
        header = false;
      }
      if (header) await write(toCsv(result.columns, []));
      return;
    }
    const rows: Cell[][] = [];
    let total = 0;
    for await (const chunk of result.rows) {
      for (const row of chunk) {
        if (rows.length < limit) rows.push(row as Cell[]);
        total++;
      }
    }
    const note = total > rows.length ? `… ${total - rows.length} more rows (--limit, or --csv / --json for all)` : `${total} row${total === 1 ? '' : 's'}`;
    await printTables(flags.mode, [{ columns: result.columns, rows, note }]);
  } finally {
    store.close();
  }
}


