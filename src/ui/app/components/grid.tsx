import { Box, Text } from 'ink';
import { cell } from '../format.js';

export interface GridProps {
  columns: string[];
  rows: string[][];
  width: number;
  /** Rows shown (the header takes one more line). */
  height: number;
  /** First row shown. */
  top: number;
  /** The selected row, highlighted (none when undefined). */
  cursor?: number;
  /** First column shown (horizontal scroll). */
  left?: number;
  /** Cells to mark (what a replay step changed). */
  marked?: (row: number, column: number) => boolean;
  /** Widest a column gets. */
  maxCell?: number;
}

/** Column widths from the header and the cells (capped), the same for every page. */
export function columnWidths(columns: string[], rows: string[][], maxCell = 40): number[] {
  return columns.map((c, i) => Math.min(maxCell, Math.max(c.length, ...rows.map((r) => (r[i] ?? '').replace(/\n/g, ' ').length))));
}

/**
 * A table that scrolls both ways: rows from `top`, columns from `left`, cut at `width`. The
 * state (top, cursor, left) belongs to the screen.
 */
export function Grid({ columns, rows, width, height, top, cursor, left = 0, marked, maxCell = 40 }: GridProps) {
  const widths = columnWidths(columns, rows, maxCell);
  const shownColumns: number[] = [];
  // A gutter marks the selected row, so it shows without colours too (NO_COLOR).
  const gutter = cursor === undefined ? '' : ' ';
  width -= gutter.length;
  let used = 0;
  for (let i = Math.min(left, Math.max(0, columns.length - 1)); i < columns.length; i++) {
    const w = widths[i] ?? 0;
    const room = width - used;
    // The last column that fits only in part is cut to the room left (when that is worth it).
    if (used > 0 && w > room) {
      if (room >= Math.min(w, 12)) {
        widths[i] = room;
        shownColumns.push(i);
        used += room;
      }
      break;
    }
    shownColumns.push(i);
    used += w + 2;
  }
  const more = shownColumns.length > 0 && (shownColumns[0]! > 0 || shownColumns.at(-1)! < columns.length - 1);
  const line = (values: string[]) => shownColumns.map((i) => cell(values[i] ?? '', widths[i] ?? 0)).join('  ').slice(0, width);
  const visible = rows.slice(top, top + height);
  return (
    <Box flexDirection="column">
      <Text bold>
        {gutter}
        {line(columns)}
        {more ? <Text dimColor>{` (${shownColumns[0]! + 1}-${shownColumns.at(-1)! + 1}/${columns.length} cols)`.slice(0, Math.max(0, width - line(columns).length))}</Text> : null}
      </Text>
      {visible.map((r, j) => {
        const index = top + j;
        const selected = index === cursor;
        const mark = gutter && (selected ? '›' : ' ');
        if (!marked) return <Text key={index} inverse={selected}>{mark + line(r).padEnd(Math.min(width, used))}</Text>;
        return (
          <Text key={index} inverse={selected}>
            {mark}
            {shownColumns.map((i, k) => (
              <Text key={i} color={marked(index, i) ? 'yellow' : undefined} bold={marked(index, i)}>
                {(k > 0 ? '  ' : '') + cell(r[i] ?? '', widths[i] ?? 0)}
              </Text>
            ))}
          </Text>
        );
      })}
    </Box>
  );
}
