import type { OutputMode } from './options.js';

export type Cell = string | number | boolean | null | undefined | object;

export interface TableData {
  title?: string;
  columns: string[];
  rows: Cell[][];
  /** A line under the table (e.g. "… 120 more rows"). */
  note?: string;
}

/**
 * Characters a terminal obeys instead of showing: C0 controls but tab and line feed (ESC starts
 * the sequences that clear the screen, move the cursor, set the title; CR overwrites a line),
 * DEL, C1 controls (U+0080–U+009F: 8-bit CSI, OSC) and the bidirectional overrides and isolates
 * that reorder what is shown (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C).
 */
const TERMINAL_UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from a log (ids, types, streams, file names, rule messages) made harmless for a terminal:
 * each control character is shown as an escape (`\x1b`, `\u009b`) instead of being obeyed. The
 * one sanitizer of the output layer, applied where text leaves evtrail (plain tables and text,
 * ink tables, the explorer's cells, error messages). JSON text stays valid and means the same
 * (JSON.stringify already escapes C0; DEL, C1 and the bidi controls get \uXXXX).
 */
export function terminalSafe(text: string): string {
  return text.replace(TERMINAL_UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** terminalSafe over every string in plain data (arrays, plain objects); other values as they are. */
export function terminalSafeDeep<T>(value: T): T {
  if (typeof value === 'string') return terminalSafe(value) as T;
  if (Array.isArray(value)) return value.map((v) => terminalSafeDeep(v)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    // defineProperty: a key named __proto__ stays a key.
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: terminalSafeDeep(v), enumerable: true, writable: true, configurable: true });
    return out as T;
  }
  return value;
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
  return terminalSafe(out.join('\n') + '\n');
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
    // CSV is data: written as it is, except to a terminal.
    for (const t of tables) process.stdout.write(process.stdout.isTTY ? terminalSafe(toCsv(t.columns, t.rows)) : toCsv(t.columns, t.rows));
    return;
  }
  process.stdout.write(tables.map((t) => plainTable(t)).join('\n'));
}

export function printJson(value: unknown): void {
  process.stdout.write(terminalSafe(stringifyJson(value, 2)) + '\n');
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
export async function writeOut(chunk: string): Promise<void> {
  // To a terminal, nothing is obeyed (CSV included; CSV to a pipe or file is data, as it is).
  const text = process.stdout.isTTY ? terminalSafe(chunk) : chunk;
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
