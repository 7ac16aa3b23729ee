/**
 * How a replay is shown, and only that: the rows at a cut or the diff between two, from the
 * data ./replay.ts returns, through the output layer. --json `{ "at", "projection", "rows" }`
 * (with --diff also "diff", and rows `{ <key>, change, fields, before, after }`), --ndjson one
 * row per line, --csv, an ink table in a terminal, plain text in a pipe; in a table at most
 * `limit` rows (or diff lines), with a note of how many more.
 */
import path from 'node:path';
import { isJsonMode, type OutputMode } from '../output/mode.js';
import { writeJsonObjects } from '../output/json-rows.js';
import { jsonCell, printJson } from '../output/json.js';
import { exactInteger, exactIntegerText } from '../output/json-values.js';
import { printTables, toCsv, type Cell, type TableData } from '../output/table.js';
import { terminalSafe, writeOut as write } from '../output/terminal.js';
import { atFields, atLabel } from '../core/time.js';
import { defineField } from './custom.js';
import type { BookAnswer, Side } from './book-replay.js';
import { BOOK_COLUMNS } from './projections/book.js';
import type { DiffView, ReplayResult, RowsView, SnapshotsMade } from './replay.js';

export async function renderRows(mode: OutputMode, v: RowsView, limit: number): Promise<void> {
  const { columns, jsonColumns } = v.rows;
  const parse = (row: unknown[]) => row.map((x, i) => (jsonColumns[i] && typeof x === 'string' ? jsonCell(x) : x));
  if (isJsonMode(mode)) {
    const head: Record<string, unknown> = { ...atFields(v.at), projection: v.projection };
    if (v.key !== undefined) head.key = v.key;
    Object.assign(head, v.head);
    const objects = (async function* () {
      for await (const chunk of v.rows.rows) {
        yield chunk.map((row) => {
          const values = parse(row);
          const obj: Record<string, unknown> = {};
          columns.forEach((c, i) => defineField(obj, c, values[i]));
          return obj;
        });
      }
    })();
    await writeJsonObjects(mode, objects, { head });
    return;
  }
  if (mode === 'csv') {
    let header = true;
    for await (const chunk of v.rows.rows) {
      const text = toCsv(columns, chunk as Cell[][]);
      await write(header ? text : text.slice(text.indexOf('\n') + 1));
      header = false;
    }
    if (header) await write(toCsv(columns, []));
    return;
  }
  const shown: Cell[][] = [];
  let total = 0;
  for await (const chunk of v.rows.rows) {
    for (const row of chunk) {
      if (shown.length < limit) shown.push(row as Cell[]);
      total++;
    }
  }
  const what = v.key !== undefined ? `${v.projection} ${v.key}` : v.projection;
  const count = total === 0 ? (v.key !== undefined ? `no ${v.projection} row for ${v.key} at this point` : 'no rows') : `${total} row${total === 1 ? '' : 's'}`;
  const more = total > shown.length ? `… ${total - shown.length} more rows (--limit, or --json / --csv for all)` : count;
  const table: TableData = { title: `${what} as of ${atLabel(v.at)}${v.note ? ` (${v.note})` : ''}`, columns, rows: shown, note: more };
  await printTables(mode, [table]);
}

export async function renderDiff(mode: OutputMode, v: DiffView, limit: number): Promise<void> {
  if (mode === 'ndjson') {
    await writeJsonObjects('ndjson', [v.rows.map((r) => ({ ...r.key, change: r.change, fields: r.fields, before: r.before, after: r.after }))]);
    return;
  }
  if (mode === 'json') {
    const head: Record<string, unknown> = { ...v.head };
    if (v.key !== undefined) head.key = v.key;
    let text = JSON.stringify(head).slice(0, -1) + ',"rows":[';
    v.rows.forEach((r, i) => {
      text += (i === 0 ? '\n' : ',\n') + JSON.stringify({ ...r.key, change: r.change, fields: r.fields, before: r.before, after: r.after });
    });
    await write(terminalSafe(text) + (v.rows.length ? '\n]}\n' : ']}\n'));
    return;
  }
  // One line per changed field; an added or removed entity is one line with its whole state.
  const columns = [...v.keyColumns, 'change', 'field', 'before', 'after'];
  const lines: Cell[][] = [];
  for (const r of v.rows) {
    const k = v.keyColumns.map((c) => r.key[c] as Cell);
    if (r.change === 'changed') for (const f of r.fields) lines.push([...k, r.change, f, r.before![f] as Cell, r.after![f] as Cell]);
    else lines.push([...k, r.change, '', r.before as Cell, r.after as Cell]);
  }
  if (mode === 'csv') {
    await write(toCsv(columns, lines));
    return;
  }
  const counts = (['added', 'removed', 'changed'] as const).map((c) => `${v.rows.filter((r) => r.change === c).length} ${c}`).join(', ');
  const shown = lines.slice(0, limit);
  const note = lines.length > shown.length ? `${counts}; … ${lines.length - shown.length} more lines (--limit, or --json / --csv for all)` : counts;
  await printTables(mode, [{ title: v.title, columns, rows: shown, note }]);
}

/** What ./replay.ts returns, shown: the rows at a cut, or a diff. */
export async function renderReplay(mode: OutputMode, result: ReplayResult, limit: number): Promise<void> {
  if (result.kind === 'rows') await renderRows(mode, result.rows, limit);
  else if (result.kind === 'diff') await renderDiff(mode, result.diff, limit);
  else await renderBook(mode, result.book, limit);
}

/** `--projection book`: the book, its seed and where the log contradicts itself. */
export async function renderBook(mode: OutputMode, answer: BookAnswer, limit: number): Promise<void> {
  if (mode === 'json') {
    // A contradiction's seq a number, as everywhere (kept as text inside for BigInt use).
    await write(JSON.stringify({ ...answer, contradictions: answer.contradictions.map((c) => ({ ...c, seq: exactIntegerText(c.seq) })) }) + '\n');
    return;
  }
  // --ndjson: the book's rows, one per line (its seed and contradictions are in --json).
  if (mode === 'ndjson') {
    await writeJsonObjects('ndjson', [answer.rows]);
    return;
  }
  const { seed, contradictions } = answer;
  const rows = answer.rows.map((r) => BOOK_COLUMNS.map((c) => r[c])) as Cell[][];
  const known = (side: Side) => (seed!.knownThrough[side] === null ? 'every price' : String(seed!.knownThrough[side]));
  const seedNote = seed
    ? `seeded from ${path.basename(seed.file)} row ${seed.row}, a level-${seed.levelsInFile} message file; known through ask ${known('ask')} and bid ${known('bid')} after row ${seed.cutRow}, deeper levels unknown; ${answer.complete ? 'complete' : 'not complete'}`
    : 'from the messages alone: orders resting before the log starts are not in it (complete = false); --seed-book FILE:ROW seeds it';
  const counts = answer.counts ?? {};
  const summary = `${counts['book-file'] ?? 0} side(s) where the orderbook file's row ${seed?.cutRow ?? ''} disagrees with the replay, ${counts['over-removal'] ?? 0} over-removal(s), ${counts.crossed ? 'a crossed book' : 'not crossed'}`;
  if (seed && contradictions.length && mode === 'csv') process.stderr.write(`note: ${summary} (--json lists them)\n`);
  if (mode === 'csv') {
    await write(toCsv([...BOOK_COLUMNS], rows));
    return;
  }
  const tables: TableData[] = [{
    title: `book${answer.symbol ? ` ${answer.symbol}` : ''} as of ${answer.at} (${seedNote})`,
    columns: [...BOOK_COLUMNS],
    rows: rows.slice(0, limit),
    note: rows.length > limit ? `… ${rows.length - limit} more rows (--levels, --limit, or --json / --csv for all)` : `${rows.length} row${rows.length === 1 ? '' : 's'}`,
  }];
  if (seed) {
    const shown = contradictions.slice(0, limit);
    tables.push({
      title: 'where the log contradicts itself, on the levels shown',
      columns: ['row', 'seq', 'ts', 'kind', 'side', 'since', 'detail'],
      rows: shown.map((c) => [c.row, c.seq, c.ts, c.kind, c.side, c.since, c.detail] as Cell[]),
      note: contradictions.length === 0 ? 'none' : `${summary}${contradictions.length > shown.length ? `; … ${contradictions.length - shown.length} more lines (--limit, or --json for all)` : ''}`,
    });
  }
  await printTables(mode, tables);
}

/** `evtrail snapshot`: the snapshots made, their seq and how many entities each holds. */
export async function renderSnapshots(mode: OutputMode, made: SnapshotsMade): Promise<void> {
  const { projection: name, every } = made;
  if (mode === 'json') {
    // seq a number, as in every --json (a string only beyond 2^53: ../output/json-values.ts).
    printJson({ projection: name, every: exactInteger(every), snapshots: made.snapshots.map((m) => ({ ...m, seq: exactIntegerText(m.seq) })) });
    return;
  }
  await printTables(mode, [
    {
      title: `snapshots of ${name} every ${every} events`,
      columns: ['seq', 'entities'],
      rows: made.snapshots.map((m) => [m.seq, m.entities]),
      note: made.snapshots.length === 0 ? `none: the store has fewer than ${every} events` : `${made.snapshots.length} snapshot${made.snapshots.length === 1 ? '' : 's'}`,
    },
  ]);
}
