/**
 * How `evtrail query` is shown, and only that, from the data ./run.ts returns: --json an array of
 * row objects and --ndjson one per line, --csv (all streamed), a table of at most `limit` rows in a
 * terminal or a pipe with a note of how many more; --out's count of rows written, on stderr.
 */
import { isJsonMode, type OutputMode } from '../output/mode.js';
import { writeJsonRows } from '../output/json-rows.js';
import { printTables, toCsv, type Cell } from '../output/table.js';
import { writeOut as write } from '../output/terminal.js';
import type { QueryAnswer } from './run.js';

export async function renderQuery(mode: OutputMode, answer: QueryAnswer, limit: number): Promise<void> {
  if (answer.kind === 'parquet') {
    process.stderr.write(`wrote ${answer.rows} rows to ${answer.out}\n`);
    return;
  }
  const { result } = answer;
  if (isJsonMode(mode)) {
    await writeJsonRows(mode, result.columns, result.rows);
    return;
  }
  if (mode === 'csv') {
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
  await printTables(mode, [{ columns: result.columns, rows, note }]);
}
