/**
 * Rows written as JSON while they stream: --json one document (an array, or an object whose
 * "rows" member is the array), --ndjson one object per line. Nothing holds the whole result:
 * each chunk is written, and the writer waits for a slow reader, before the next is read.
 */
import type { DuckDBResult } from '@duckdb/node-api';
import { RawJson, stringifyJson } from './json.js';
import { exactJsonConverter } from './json-values.js';
import type { JsonMode } from './mode.js';
import { terminalSafe, writeOut } from './terminal.js';

/** A streamed DuckDB result's rows as JSON values (./json-values.ts: exact numbers, RFC 3339 times). */
export async function* exactRows(result: DuckDBResult): AsyncIterableIterator<unknown[][]> {
  // A column's JSON alias is known from the result's types only (a chunk's vectors lose it).
  const json = result.columnTypes().map((t) => t.alias === 'JSON');
  const rawJson = (row: unknown[]) => row.map((v, i) => (json[i] && typeof v === 'string' ? new RawJson(v) : v));
  for await (const chunk of result.yieldConvertedRows(exactJsonConverter)) yield json.some(Boolean) ? chunk.map(rawJson) : chunk;
}

/** One row as an object of its columns (a column named __proto__ stays a member). */
export function rowObject(columns: readonly string[], row: readonly unknown[]): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  columns.forEach((c, i) => Object.defineProperty(obj, c, { value: row[i] ?? null, enumerable: true, writable: true, configurable: true }));
  return obj;
}

export interface JsonRowsOptions {
  /** --json: the document's members before "rows" (without it the document is the array). */
  head?: Record<string, unknown>;
  /** --json: members after "rows", known once the rows are written (e.g. a count). */
  tail?: () => Record<string, unknown>;
}

/** Writes objects (from row arrays, chunk by chunk) as --json or --ndjson. */
export async function writeJsonRows(mode: JsonMode, columns: readonly string[], chunks: AsyncIterable<readonly unknown[][]>, options: JsonRowsOptions = {}): Promise<number> {
  const text = rowText(columns);
  if (text === null) return writeJsonObjects(mode, mapChunks(chunks, (row) => rowObject(columns, row)), options);
  return writeJsonObjects(mode, chunks, options, text as (row: unknown) => string);
}

/**
 * A row array's JSON text, the same bytes as `stringifyJson(rowObject(columns, row))`, written
 * member by member: no object per row, and JSON.stringify's fast path for each value (a replacer
 * function, which stringifyJson needs for RawJson, takes it off that path for the whole row).
 * `evtrail query --ndjson` over 262k events: 12.4 → 6.3 CPU-s, peak RSS 850 → 245 MB (the
 * garbage of an object and a replacer call per value had grown the heap; BENCHMARKS.md). Null
 * (the object's way) when the columns are none or repeat a name.
 */
function rowText(columns: readonly string[]): ((row: readonly unknown[]) => string) | null {
  if (columns.length === 0 || new Set(columns).size !== columns.length) return null;
  const keys = columns.map((c, i) => (i === 0 ? '{' : ',') + JSON.stringify(c) + ':');
  return (row) => {
    let text = '';
    for (let i = 0; i < keys.length; i++) text += keys[i]! + valueText(row[i] ?? null);
    return text + '}';
  };
}

/** One value as stringifyJson writes it inside an object (RawJson as its text). */
function valueText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value !== null && typeof value === 'object') return stringifyJson(value);
  return JSON.stringify(value);
}

/** Writes objects, chunk by chunk, as --json or --ndjson (each as `toText` writes it); returns how many. */
export async function writeJsonObjects(mode: JsonMode, chunks: AsyncIterable<readonly unknown[]> | Iterable<readonly unknown[]>, options: JsonRowsOptions = {}, toText: (value: unknown) => string = stringifyJson): Promise<number> {
  let count = 0;
  if (mode === 'ndjson') {
    for await (const chunk of chunks) {
      let text = '';
      for (const obj of chunk) text += toText(obj) + '\n';
      count += chunk.length;
      if (text) await writeOut(terminalSafe(text));
    }
    return count;
  }
  const { head } = options;
  await writeOut(head ? terminalSafe(stringifyJson(head).slice(0, -1)) + (Object.keys(head).length ? ',' : '') + '"rows":[' : '[');
  for await (const chunk of chunks) {
    let text = '';
    for (const obj of chunk) text += (count++ === 0 ? '\n' : ',\n') + toText(obj);
    if (text) await writeOut(terminalSafe(text));
  }
  const close = count === 0 ? ']' : '\n]';
  if (!head) return (await writeOut(close + '\n'), count);
  const tail = options.tail?.() ?? {};
  const more = Object.keys(tail).length ? ',' + terminalSafe(stringifyJson(tail).slice(1, -1)) : '';
  await writeOut(close + more + '}\n');
  return count;
}

async function* mapChunks<T, U>(chunks: AsyncIterable<readonly T[]>, f: (x: T) => U): AsyncIterable<U[]> {
  for await (const chunk of chunks) yield chunk.map(f);
}
