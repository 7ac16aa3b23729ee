import type { OutputMode } from './options.js';

export type Cell = string | number | boolean | null | undefined | object;

export interface TableData {
  title?: string;
  columns: string[];
  rows: Cell[][];
  /** A line under the table (e.g. "… 120 more rows"). */
  note?: string;
}

export function cellText(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (value instanceof RawJson) return value.text;
  if (typeof value === 'object') return stringifyJson(value);
  return String(value);
}

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
  return out.join('\n') + '\n';
}

/** Prints tables in the mode asked: ink in a terminal (loaded only then), else text or CSV. */
export async function printTables(mode: Exclude<OutputMode, 'json'>, tables: TableData[]): Promise<void> {
  // ink needs a width: a terminal that reports none (e.g. `script` without a size) gets text.
  if (mode === 'tty' && process.stdout.columns) {
    const { renderTables } = await import('../ui/tables.js');
    await renderTables(tables);
    return;
  }
  if (mode === 'csv') {
    for (const t of tables) process.stdout.write(toCsv(t.columns, t.rows));
    return;
  }
  process.stdout.write(tables.map((t) => plainTable(t)).join('\n'));
}

export function printJson(value: unknown): void {
  process.stdout.write(stringifyJson(value, 2) + '\n');
}

/**
 * A JSON column's text, written out as it is. Parsing it in JavaScript would turn numbers into
 * doubles (9007199254740993 → …992, 123.456789012345678901 → 123.45678901234568, 1e400 →
 * null); DuckDB's JSON text is valid and already holds the numbers as the source wrote them.
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify that writes RawJson values as their text (compact, inside indented output). */
export function stringifyJson(value: unknown, indent?: number): string {
  const raws: string[] = [];
  // A placeholder string per raw value, unique to this call, swapped for the text afterwards.
  const tag = `\u0000evtrail-raw-${Math.random().toString(36).slice(2)}-`;
  const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof RawJson ? `${tag}${raws.push(v.text) - 1}` : v), indent);
  if (raws.length === 0) return text;
  const escapedTag = JSON.stringify(tag).slice(1, -1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`"${escapedTag}(\\d+)"`, 'g'), (_m, i: string) => raws[Number(i)]!);
}

/** A JSON column's value for --json output: its text, unparsed (RawJson). */
export function jsonCell(text: string): RawJson {
  return new RawJson(text);
}

/** A JSON column's text as a value (text that is not JSON stays text). */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Writes to stdout, waiting when the reader is slower than we are (large results, pipes). */
export async function writeOut(text: string): Promise<void> {
  if (process.stdout.write(text)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      process.stdout.off('drain', done);
      process.stdout.off('close', done);
      resolve();
    };
    process.stdout.once('drain', done);
    process.stdout.once('close', done);
  });
}
