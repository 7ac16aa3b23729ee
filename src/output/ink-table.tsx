import { Box, Text, render } from 'ink';
import { cellText, type TableData } from './cells.js';
import { fitNote, fitWidth, layoutTable, textWidth, wrapText } from './fit.js';
import { terminalSafe } from './terminal.js';

/**
 * A static table: bold header, aligned columns, dim rule; fitted to the terminal's width
 * (fitTable: long cells shortened, columns that do not fit left out, both named) unless --wide.
 */
export function Table({ table, width }: { table: TableData; width?: number | undefined }) {
  // Text from a log is shown, never obeyed; escapes are made before measuring.
  const safe: TableData = { ...table, columns: table.columns.map(terminalSafe), rows: table.rows.map((r) => r.map((v) => terminalSafe(cellText(v).replaceAll('\n', ' ')))) };
  const { fitted, below, columns } = layoutTable(safe, width);
  const pad = (v: string, w: number) => v + ' '.repeat(Math.max(0, w - textWidth(v)));
  const line = (r: string[]) => r.map((v, i) => pad(v, fitted.widths[i] ?? 0)).join('  ').trimEnd();
  // Colours go on the cells as fitted (shortened, columns left out), never into the text measured.
  const colorOf = (row: number, column: string | undefined) => (column === undefined ? undefined : table.colors?.[column]?.[row]);
  const cellsOf = (r: string[], row: number) => {
    const last = r.length - 1;
    return r.map((v, k) => {
      const text = k === last ? v : pad(v, fitted.widths[k] ?? 0) + '  ';
      const color = colorOf(row, columns[fitted.shown[k]!]);
      return color ? <Text key={k} color={color}>{text}</Text> : text;
    });
  };
  const cut = fitNote(fitted);
  return (
    <Box flexDirection="column" marginBottom={1}>
      {table.title ? <Text bold color="cyan">{terminalSafe(table.title)}</Text> : null}
      <Text bold>{line(fitted.header)}</Text>
      <Text dimColor>{line(fitted.widths.map((w) => '─'.repeat(w)))}</Text>
      {fitted.cells.map((r, i) => (
        <Box key={i} flexDirection="column">
          <Text>{table.colors ? cellsOf(r, i) : line(r)}</Text>
          {(below[i] ?? []).map((l, j) => (
            <Text key={j} color={colorOf(i, table.belowColumn) ?? 'yellow'}>{l}</Text>
          ))}
        </Box>
      ))}
      {/* Wrapped here at words: ink's own wrapping keeps the space at a break, so a word ending
          on the last column began the next line with a space. */}
      {table.note ? <Text dimColor>{width ? terminalSafe(table.note).split('\n').flatMap((l) => wrapText(l, width)).join('\n') : terminalSafe(table.note)}</Text> : null}
      {cut ? <Text dimColor>{width ? wrapText(cut, width).join('\n') : cut}</Text> : null}
    </Box>
  );
}

export async function renderTables(tables: TableData[]): Promise<void> {
  const width = fitWidth();
  const app = render(
    <Box flexDirection="column">
      {tables.map((t, i) => (
        <Table key={i} table={t} width={width} />
      ))}
    </Box>,
    { patchConsole: false },
  );
  app.unmount();
  await app.waitUntilExit();
}
