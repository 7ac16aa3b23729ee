import { Box, Text, render } from 'ink';
import type { Mark, TraceTree } from '../trace/view.js';
import { treeColumns } from '../trace/view.js';
import { terminalSafeDeep } from '../output/terminal.js';

const MARK_COLOR: Record<Mark['kind'], string> = {
  anomaly: 'red',
  finding: 'red',
  failure: 'magenta',
  compensation: 'blue',
  terminal: 'green',
  slowest: 'yellow',
};
const MARK_SIGN: Record<Mark['kind'], string> = { anomaly: '⚠', finding: '✖', failure: '✗', compensation: '↺', terminal: '■', slowest: '◆' };
const STATE_COLOR: Record<string, string> = { settled: 'green', cancelled: 'yellow', rejected: 'magenta', stuck: 'red', 'in flight': 'cyan' };

/**
 * The causation tree: one line per event, columns aligned, marks coloured by what they say.
 * `top` and `rows` show a window of the event lines (the explorer scrolls a long trace); the
 * column widths stay those of the whole tree.
 */
export function TraceTreeView({ tree: fromLog, top = 0, rows, cut = false }: { tree: TraceTree; top?: number; rows?: number; cut?: boolean }) {
  // Ids, types, streams and notes come from the log: shown, never obeyed.
  const tree = terminalSafeDeep(fromLog);
  // In the explorer a line wider than the terminal is cut with … (one row per line, so the
  // screen's scrolling counts right); printed by `evtrail trace` it wraps, nothing lost.
  const wrap = cut ? 'truncate-end' : 'wrap';
  const { header, cells } = treeColumns(tree);
  const notes = header.length - 1;
  const widths = header.map((h, i) => (i === notes ? 0 : Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length))));
  const pad = (text: string, i: number) => (i === notes ? text : text.padEnd(widths[i] ?? 0) + '  ');
  const col = (name: string) => header.indexOf(name);
  return (
    <Box flexDirection="column">
      <Text bold wrap={wrap}>{tree.header}</Text>
      {tree.sagaLines.map((line, i) => {
        const state = /^saga [^:]*: ([a-z ]+?)(?: since| ·|:|$)/.exec(line)?.[1] ?? '';
        return (
          <Box key={i} flexDirection="column">
            <Text color={STATE_COLOR[state] ?? 'white'} wrap={wrap}>{line}</Text>
            <Text dimColor wrap={wrap}>{'  ' + (tree.stepLines[i] ?? '')}</Text>
          </Box>
        );
      })}
      <Text> </Text>
      <Text bold wrap={wrap}>{header.map(pad).join('')}</Text>
      <Text dimColor wrap={wrap}>{header.map((_, i) => pad('─'.repeat(i === notes ? 5 : widths[i] ?? 0), i)).join('')}</Text>
      {top > 0 ? <Text dimColor>{`… ${top} above`}</Text> : null}
      {tree.rows.map((row, r) => {
        if (r < top || (rows !== undefined && r >= top + rows)) return null;
        const cell = cells[r]!;
        const slow = row.marks.some((m) => m.kind === 'slowest');
        const back = row.deltaNs !== null && row.deltaNs < 0n;
        return (
          <Text key={r} wrap={wrap}>
            <Text dimColor>{pad(cell[col('time')]!, col('time'))}</Text>
            <Text color={back ? 'red' : slow ? 'yellow' : undefined}>{pad(cell[col('Δt')]!, col('Δt'))}</Text>
            <Text dimColor>{row.prefix}</Text>
            <Text bold={row.critical}>{row.type.padEnd((widths[col('event')] ?? 0) - row.prefix.length) + '  '}</Text>
            <Text color="cyan">{pad(cell[col('source')]!, col('source'))}</Text>
            <Text dimColor>{pad(cell[col('id')]!, col('id'))}</Text>
            {tree.showStream ? <Text>{pad(cell[col('stream')]!, col('stream'))}</Text> : null}
            <Text>{pad(cell[col('rev')]!, col('rev'))}</Text>
            {row.marks.map((m, i) => (
              <Text key={i} color={MARK_COLOR[m.kind]}>
                {(i > 0 ? '  ' : '') + `${MARK_SIGN[m.kind]} ${m.text}`}
              </Text>
            ))}
          </Text>
        );
      })}
      {rows !== undefined && top + rows < tree.rows.length ? <Text dimColor>{`… ${tree.rows.length - top - rows} more below`}</Text> : null}
      <Text> </Text>
      {tree.footer.map((line, i) => (
        <Text key={i} color={line.startsWith('  ') ? 'red' : undefined} dimColor={line === 'no anomalies in the graph' || line.startsWith('audit findings: ')} wrap={wrap}>
          {line}
        </Text>
      ))}
    </Box>
  );
}

export async function renderTraceTree(tree: TraceTree): Promise<void> {
  const app = render(<TraceTreeView tree={tree} />, { patchConsole: false });
  app.unmount();
  await app.waitUntilExit();
}
