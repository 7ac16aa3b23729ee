/**
 * How `evtrail rejects` is shown, and only that, from the data ./rejects.ts returns: --json an
 * array of reject objects, --ndjson one per line and --csv all of them (both streamed), a table
 * of at most `limit` rows in a terminal or a pipe, with a note of how many more.
 */
import type { OutputMode } from '../output/mode.js';
import { printJson } from '../output/json.js';
import { printTables, toCsv, type Cell } from '../output/table.js';
import { exactRows, writeJsonRows } from '../output/json-rows.js';
import { terminalSafe, writeOut } from '../output/terminal.js';
import type { RejectsResult } from './rejects.js';

const COLUMNS = ['source', 'line', 'reason', 'raw'];

export async function renderRejects(mode: OutputMode, rejects: RejectsResult, limit: number): Promise<void> {
  if (rejects.kind === 'stream') {
    const { result } = rejects;
    if (mode === 'ndjson') {
      await writeJsonRows('ndjson', result.deduplicatedColumnNames(), exactRows(result));
      return;
    }
    let header = true;
    for await (const chunk of result.yieldRowsJson()) {
      const text = toCsv(COLUMNS, chunk as Cell[][]);
      await writeOut(header ? text : text.slice(text.indexOf('\n') + 1));
      header = false;
    }
    if (header) await writeOut(toCsv(COLUMNS, []));
    return;
  }
  const { rows, source } = rejects;
  if (mode === 'json') return printJson(rows);
  // Nothing to list: one line, not a table with a header and no rows (--csv keeps its header,
  // --json / --ndjson stay an empty array / no line, for scripts).
  if (rows.length === 0) {
    await writeOut(source === undefined ? 'no rejects: every record was read\n' : `no rejects from a source matching ${terminalSafe(source)}\n`);
    return;
  }
  const cells: Cell[][] = rows.map((r) => [r.source, r.line, r.reason, r.raw]);
  const shown = cells.slice(0, limit);
  await printTables(mode, [{
    title: `${rows.length} rejected record${rows.length === 1 ? '' : 's'}`,
    columns: COLUMNS, rows: shown,
    note: rows.length > shown.length ? `… ${rows.length - shown.length} more (--csv or --json for all)` : undefined,
  }]);
}
