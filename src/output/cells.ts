/** A table's data and one cell as text: shared by the text / CSV tables (table.ts) and the ink one (ink-table.tsx). */
import { RawJson, stringifyJson } from './json.js';

export type Cell = string | number | boolean | null | undefined | object;

export interface TableData {
  title?: string;
  columns: string[];
  rows: Cell[][];
  /** A line under the table (e.g. "… 120 more rows"). */
  note?: string;
  /**
   * Text shown under a row, indented, in a terminal whose width would cut it (the trace's notes
   * there): the column `belowColumn` names leaves the table and each row's value goes under it.
   */
  belowColumn?: string;
}

export function cellText(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (value instanceof RawJson) return value.text;
  if (typeof value === 'object') return stringifyJson(value);
  return String(value);
}
