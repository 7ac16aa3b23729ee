/**
 * JSON output: values from the store written exactly (JSON columns as their text, never
 * re-parsed into doubles), one document on stdout.
 */
import { terminalSafe } from './terminal.js';

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

