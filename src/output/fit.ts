/**
 * Fitting a table to the terminal's width (the duckdb CLI's way): long cells shortened (ids and
 * streams lose their middle, text its end), columns that do not fit left out and named; --wide
 * shows everything. Shared by the text tables (table.ts) and the ink ones (ink-table.tsx).
 */
import { cellText, type Cell, type TableData } from './cells.js';

/** A cell on one line (a table row is one line of text). */
export const oneLine = (v: Cell): string => cellText(v).replaceAll('\n', ' ');

/**
 * Whether tables show every column in full in a terminal (`--wide`, on every tabular command;
 * set once by the CLI before the command runs). In a pipe values are always whole.
 */
let wide = false;
export function setWide(value: boolean): void {
  wide = value;
}

/**
 * The width tables fit in: the terminal's, when stdout is one and `--wide` was not given
 * (a terminal that reports no width, e.g. `script` without a size, counts as 80); none in a pipe.
 */
export function fitWidth(): number | undefined {
  if (wide || !process.stdout.isTTY) return undefined;
  return process.stdout.columns || 80;
}

/** Columns of text a string takes (code points; evtrail's tables hold no double-width text). */
export const textWidth = (s: string): number => [...s].length;

const SEPARATOR = 2;
/**
 * No column is shortened below this (or its header, or its longest value when that is less):
 * an id such as `ord-00000042` stays whole, and a column that cannot keep this is left out.
 */
const MIN_COLUMN = 12;
const FIRST_COLUMN = 28;
/**
 * A column of times keeps its date and time to the second and a digit (2025-08-26T09:30:02.5…);
 * times of day (09:30:16.580079505) stay whole.
 */
const MIN_TIME_COLUMN = 22;
const TIME = /^(\d{4}-\d\d-\d\d[T ])?\d\d:\d\d:\d\d/;

/**
 * A value cut to `width` columns with one ellipsis. Where the end tells values apart (ids,
 * streams, names: one word, e.g. `order-ord-00000042` → `order-ord-0…0042`) the middle goes;
 * text, times and numbers keep their start. `keepStart`: the caller knows the column holds
 * words read from the start, however id-like they look (event types: `OrderPartiallyFi…`, not
 * `OrderPartia…lled`), so the end goes.
 */
export function shorten(text: string, width: number, keepStart = false): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return '…'.slice(0, width);
  const idLike = !keepStart && /^[\p{L}\p{N}_.:/@#$-]+$/u.test(text) && !/^[\d\s:.+-]+$/.test(text) && !/^\d{4}-\d\d-\d\d/.test(text);
  if (!idLike || width < 6) return chars.slice(0, width - 1).join('') + '…';
  const tail = Math.max(3, Math.floor((width - 1) * 0.3));
  return chars.slice(0, width - 1 - tail).join('') + '…' + chars.slice(chars.length - tail).join('');
}

export interface FittedTable {
  /** The columns shown (indexes into the table's columns). */
  shown: number[];
  /** Their widths. */
  widths: number[];
  /** The header and cells shown, each cut to its column's width. */
  header: string[];
  cells: string[][];
  /** The names of the columns left out. */
  dropped: string[];
  /** The names of the columns shown narrower than their longest value (some cells cut). */
  shortened: string[];
}

/**
 * Fits a table in `width` columns the way the duckdb CLI does: when the whole table does not
 * fit, columns are shortened from the right (never below MIN_COLUMN or their header), and when
 * even that is too wide, columns are left out from the right (never the first). No width: as it is.
 * `keepStart`: the columns whose values are cut at their end (shorten's keepStart).
 */
export function fitTable(columns: string[], text: string[][], width?: number, keepStart: readonly string[] = []): FittedTable {
  const natural = columns.map((c, i) => Math.max(textWidth(c), ...text.map((r) => textWidth(r[i] ?? ''))));
  let shown = columns.map((_, i) => i);
  const total = (ws: number[]) => ws.reduce((a, w) => a + w, 0) + SEPARATOR * Math.max(0, ws.length - 1);
  let widths = natural;
  if (width !== undefined && total(natural) > width) {
    const least = columns.map((_, i) => (text.length > 0 && text.every((r) => !r[i] || TIME.test(r[i])) ? MIN_TIME_COLUMN : MIN_COLUMN));
    // The first column names the row: kept whole up to FIRST_COLUMN (an id, a stream name).
    const floor = (i: number) => Math.min(natural[i]!, Math.max(textWidth(columns[i]!), i === 0 ? FIRST_COLUMN : least[i]!));
    while (shown.length > 1 && total(shown.map(floor)) > width) shown = shown.slice(0, -1);
    // The rightmost columns give way first (down to their floor), so the first ones, which
    // say what a row is (an order id, a stream, a rule), stay whole.
    widths = shown.map((i) => natural[i]!);
    let over = total(widths) - width;
    for (let k = shown.length - 1; over > 0 && k >= 0; k--) {
      const cut = Math.min(over, widths[k]! - floor(shown[k]!));
      widths[k]! -= cut;
      over -= cut;
    }
  } else widths = shown.map((i) => natural[i]!);
  return {
    shown,
    widths,
    header: shown.map((i, k) => shorten(columns[i]!, widths[k]!)),
    cells: text.map((r) => shown.map((i, k) => shorten(r[i] ?? '', widths[k]!, keepStart.includes(columns[i]!)))),
    dropped: columns.filter((_, i) => !shown.includes(i)),
    shortened: shown.filter((i, k) => widths[k]! < natural[i]!).map((i) => columns[i]!),
  };
}

/**
 * The note under a fitted table that lost something: the columns left out and the ones cut
 * short, and how to see them whole. A cut a reader is not told about reads as the value.
 */
export function fitNote(fitted: Pick<FittedTable, 'dropped' | 'shortened'>): string | undefined {
  const parts = [
    ...(fitted.dropped.length ? [`not shown: ${fitted.dropped.join(', ')}`] : []),
    ...(fitted.shortened.length ? [`shortened: ${fitted.shortened.join(', ')}`] : []),
  ];
  return parts.length ? `${parts.join('; ')} (--wide shows all)` : undefined;
}


/**
 * A table laid out for a width: fitted, and with `belowColumn` (when the table does not fit
 * whole) taken out and its values as indented lines under their rows, wrapped to the width.
 */
export function layoutTable(table: TableData, width?: number): { fitted: FittedTable; below: string[][]; columns: string[] } {
  let columns = table.columns;
  let text = table.rows.map((r) => r.map(oneLine));
  let below: string[][] = [];
  const at = table.belowColumn === undefined ? -1 : columns.indexOf(table.belowColumn);
  if (width !== undefined && at >= 0 && fitTable(columns, text).widths.reduce((a, w) => a + w + SEPARATOR, -SEPARATOR) > width) {
    below = text.map((r) => (r[at] ? wrapText(r[at], width, '    ') : []));
    columns = columns.filter((_, i) => i !== at);
    text = text.map((r) => r.filter((_, i) => i !== at));
  }
  // columns: the ones fitted (fitted.shown indexes them), the below column taken out.
  return { fitted: fitTable(columns, text, width, table.keepStart), below, columns };
}

/**
 * Text wrapped at spaces to lines of at most `width` columns, each starting with `indent`
 * (a word longer than a line is cut where the line ends).
 */
export function wrapText(text: string, width: number, indent = ''): string[] {
  const room = Math.max(10, width - textWidth(indent));
  const lines: string[] = [];
  let line = '';
  // Split at single spaces: a run of them (aligned columns) is kept within a line.
  for (const word of text.split(' ')) {
    let w = word;
    if (line && textWidth(line) + 1 + textWidth(w) > room) {
      lines.push(line.trimEnd());
      line = '';
      if (w === '') continue;
    }
    while (textWidth(w) > room) {
      const chars = [...w];
      if (line) {
        lines.push(line.trimEnd());
        line = '';
      }
      lines.push(chars.slice(0, room).join(''));
      w = chars.slice(room).join('');
    }
    line = line ? `${line} ${w}` : w;
  }
  if (line.trim()) lines.push(line.trimEnd());
  return lines.map((l) => indent + l);
}

/**
 * Text lines for a terminal: in one that tables fit (fitWidth), each line longer than the
 * width wrapped at spaces, its continuation indented under the line's own indent; else as it is.
 */
export function fitLines(text: string): string {
  const width = fitWidth();
  if (width === undefined) return text;
  return text
    .split('\n')
    .flatMap((l) => {
      if (textWidth(l) <= width) return [l];
      const indent = /^ */.exec(l)![0];
      const [first, ...rest] = wrapText(l.slice(indent.length), width - indent.length - 4);
      return [indent + first, ...rest.map((r) => `${indent}    ${r}`)];
    })
    .join('\n');
}
