import { Box, Text, render } from 'ink';
import { cellText, type TableData } from './cells.js';
import { terminalSafe } from './terminal.js';

const MAX_CELL = 48;

function cut(text: string): string {
  const one = terminalSafe(text.replaceAll('\n', ' '));
  return one.length > MAX_CELL ? one.slice(0, MAX_CELL - 1) + '…' : one;
}

/** A static table: bold header, aligned columns, dim rule. */
export function Table({ table }: { table: TableData }) {
  const cells = table.rows.map((r) => r.map((v) => cut(cellText(v))));
  const widths = table.columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ');
  return (
    <Box flexDirection="column" marginBottom={1}>
      {table.title ? <Text bold color="cyan">{terminalSafe(table.title)}</Text> : null}
      <Text bold>{line(table.columns.map(terminalSafe))}</Text>
      <Text dimColor>{line(widths.map((w) => '─'.repeat(w)))}</Text>
      {cells.map((r, i) => (
        <Text key={i}>{line(r)}</Text>
      ))}
      {table.note ? <Text dimColor>{terminalSafe(table.note)}</Text> : null}
    </Box>
  );
}

export async function renderTables(tables: TableData[]): Promise<void> {
  const app = render(
    <Box flexDirection="column">
      {tables.map((t, i) => (
        <Table key={i} table={t} />
      ))}
    </Box>,
    { patchConsole: false },
  );
  app.unmount();
  await app.waitUntilExit();
}
