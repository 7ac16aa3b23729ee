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
  /**
   * Columns whose values, cut to fit a terminal, lose their end rather than their middle: names
   * read from the start (event types), which one word of letters would otherwise pass for an id.
   */
  keepStart?: string[];
  /**
   * Colours in a terminal (ink's colour names, `gray` for dim): per column name, one per row
   * (a `belowColumn`'s colour is its lines'). Applied to the cells after fitting, so a shortened
   * table keeps them; text and CSV have none, and NO_COLOR turns them off with the rest.
   */
  colors?: Record<string, (string | undefined)[]>;
}

export function cellText(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (value instanceof RawJson) return value.text;
  if (typeof value === 'object') return stringifyJson(value);
  return String(value);
}
