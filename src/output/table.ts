/**
 * Tables: the rows a command produces, printed in the mode asked (ink in a terminal, aligned
 * text in a pipe, CSV).
 */
import { cellText, type Cell, type TableData } from './cells.js';
import type { OutputMode } from './mode.js';
import { terminalSafe } from './terminal.js';

// In cells.ts, which ink-table.tsx imports too (it importing this file, which loads it, was a circle).
export { cellText, type Cell, type TableData } from './cells.js';

/** RFC 4180 CSV: quote fields with commas, quotes or line breaks. */
export function toCsv(columns: string[], rows: Cell[][]): string {
  const field = (v: Cell) => {
    const s = cellText(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [columns.map(field).join(','), ...rows.map((r) => r.map(field).join(','))].join('\n') + '\n';
}

/** Plain text: aligned columns, long cells cut with an ellipsis. */
export function plainTable(table: TableData, maxCell = 60): string {
  const cut = (s: string) => (s.length > maxCell ? s.slice(0, maxCell - 1) + '…' : s).replaceAll('\n', ' ');
  const cells = table.rows.map((r) => r.map((v) => cut(cellText(v))));
  const widths = table.columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out: string[] = [];
  if (table.title) out.push(table.title);
  out.push(line(table.columns), line(widths.map((w) => '─'.repeat(w))), ...cells.map(line));
  if (table.note) out.push(table.note);
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
  process.stdout.write(tables.map((t) => plainTable(t)).join('\n'));
}

