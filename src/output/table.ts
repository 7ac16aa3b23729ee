/**
 * Tables: the rows a command produces, printed in the mode asked (ink in a terminal, aligned
 * text in a pipe, CSV).
 */
import { cellText, type Cell, type TableData } from './cells.js';
import { fitNote, fitWidth, layoutTable, textWidth, wrapText } from './fit.js';
import type { OutputMode } from './mode.js';
import { terminalSafe } from './terminal.js';

// A table's data is in cells.ts and the fitting in fit.ts, which ink-table.tsx imports too (it
// importing this file, which loads it, would be a circle).
export { cellText, type Cell, type TableData } from './cells.js';
export { fitNote, fitLines, fitTable, fitWidth, layoutTable, setWide, shorten, textWidth, wrapText, type FittedTable } from './fit.js';

/** RFC 4180 CSV: quote fields with commas, quotes or line breaks. */
export function toCsv(columns: string[], rows: Cell[][]): string {
  const field = (v: Cell) => {
    const s = cellText(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [columns.map(field).join(','), ...rows.map((r) => r.map(field).join(','))].join('\n') + '\n';
}

/**
 * Plain text: aligned columns. In a pipe (no width) every value whole; with a width (a
 * terminal that reports none) fitted as fitTable does.
 */
export function plainTable(table: TableData, width?: number): string {
  const { fitted, below } = layoutTable(table, width);
  const pad = (v: string, w: number) => v + ' '.repeat(Math.max(0, w - textWidth(v)));
  const line = (r: string[]) => r.map((v, i) => pad(v, fitted.widths[i] ?? 0)).join('  ').trimEnd();
  const out: string[] = [];
  if (table.title) out.push(table.title);
  out.push(line(fitted.header), line(fitted.widths.map((w) => '─'.repeat(w))));
  fitted.cells.forEach((r, i) => out.push(line(r), ...(below[i] ?? [])));
  if (table.note) out.push(table.note);
  const cut = fitNote(fitted);
  if (cut) out.push(...(width === undefined ? [cut] : wrapText(cut, width)));
  return terminalSafe(out.join('\n') + '\n');
}

/** Prints tables in the mode asked: ink in a terminal (loaded only then), else text or CSV. */
export async function printTables(mode: Exclude<OutputMode, 'json'>, tables: TableData[]): Promise<void> {
  // ink needs a width: a terminal that reports none (e.g. `script` without a size) gets text.
  if (mode === 'tty' && process.stdout.columns) {
    const { renderTables } = await import('./ink-table.js');
    await renderTables(tables);
    return;
  }
  if (mode === 'csv') {
    // CSV is data: written as it is, except to a terminal.
    for (const t of tables) process.stdout.write(process.stdout.isTTY ? terminalSafe(toCsv(t.columns, t.rows)) : toCsv(t.columns, t.rows));
    return;
  }
  // A terminal that reports no width gets text fitted to 80 columns; a pipe every value whole.
  process.stdout.write(tables.map((t) => plainTable(t, fitWidth())).join('\n'));
}

