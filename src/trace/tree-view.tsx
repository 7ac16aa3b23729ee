import { Box, Text, render } from 'ink';
import type { Mark, TraceTree } from './view.js';
import { treeColumns } from './view.js';
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

/** The hop's latency coloured: red when the effect is before its cause, yellow the slowest hop. */
function deltaColor(row: TraceTree['rows'][number]): string | undefined {
  if (row.deltaNs !== null && row.deltaNs < 0n) return 'red';
  return row.marks.some((m) => m.kind === 'slowest') ? 'yellow' : undefined;
}

/** The mark that colours a row's notes when they are one cell (the fitted table): the gravest. */
const MARK_ORDER: Mark['kind'][] = ['anomaly', 'finding', 'failure', 'compensation', 'slowest', 'terminal'];

/**
 * The tree's colours as a table's (TableData.colors, by treeColumns' names), for `evtrail trace`
 * in a terminal too narrow for the tree, where it prints a fitted table: the same colours as
 * TraceTreeView's (time and id dim, source cyan, Δt by deltaColor, the notes by their gravest mark).
 */
export function treeColors(tree: TraceTree): Record<string, (string | undefined)[]> {
  const gravest = (marks: Mark[]) => MARK_ORDER.find((k) => marks.some((m) => m.kind === k));
  return {
    time: tree.rows.map(() => 'gray'),
    id: tree.rows.map(() => 'gray'),
    source: tree.rows.map(() => 'cyan'),
    'Δt': tree.rows.map(deltaColor),
    notes: tree.rows.map((r) => {
      const kind = gravest(r.marks);
      return kind === undefined ? undefined : MARK_COLOR[kind];
    }),
  };
}

/** A column of the tree as drawn: which of treeColumns' columns, and how wide. */
interface Shown {
  i: number;
  name: string;
  width: number;
}

/** Narrowest the notes get before other columns give way. */
const NOTES_MIN = 28;

/**
 * The columns that fit `width` (pure): at full width when they do; else rev, source and stream
 * leave first, then the time loses its digits below the millisecond, the id its middle and the
 * event its end, so that the notes (what is wrong with the event) keep room. Without a width
 * every column is full.
 */
export function fitTreeColumns(header: string[], cells: string[][], width?: number): Shown[] {
  const full = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const notes = header.length - 1;
  let shown: Shown[] = header.map((name, i) => ({ i, name, width: i === notes ? 0 : full[i]! }));
  if (width === undefined) return shown;
  const room = () => width - shown.filter((c) => c.name !== 'notes').reduce((sum, c) => sum + c.width + 2, 0);
  for (const drop of ['rev', 'source', 'stream']) {
    if (room() >= NOTES_MIN) break;
    shown = shown.filter((c) => c.name !== drop);
  }
  const shrink: [string, number][] = [['time', 12], ['id', 10], ['event', 18], ['Δt', 10]];
  for (const [name, to] of shrink) {
    if (room() >= NOTES_MIN) break;
    const c = shown.find((x) => x.name === name);
    if (c && c.width > to) c.width = Math.max(to, c.width - (NOTES_MIN - room()));
  }
  shown.find((c) => c.name === 'notes')!.width = Math.max(0, room());
  return shown;
}

/** A cell cut to its column: ids lose their middle (their ends differ), the rest their end. */
function cutCell(name: string, text: string, width: number): string {
  if (text.length <= width) return text;
  if (name === 'time') return text.slice(0, width);
  if (name === 'id' || name === 'stream') {
    const tail = Math.ceil((width - 1) / 2);
    return text.slice(0, width - 1 - tail) + '…' + text.slice(text.length - tail);
  }
  return text.slice(0, Math.max(0, width - 1)) + '…';
}

/**
 * The causation tree: one line per event, columns aligned, marks coloured by what they say.
 * `top` and `rows` show a window of the event lines (the explorer scrolls a long trace); the
 * column widths stay those of the whole tree. With a `width` (the explorer) the columns are
 * fitted to it, the notes kept (fitTreeColumns); `cursor` marks the selected event.
 */
export function TraceTreeView({ tree: fromLog, top = 0, rows, cut = false, width, cursor }: { tree: TraceTree; top?: number; rows?: number; cut?: boolean; width?: number; cursor?: number }) {
  // Ids, types, streams and notes come from the log: shown, never obeyed.
  const tree = terminalSafeDeep(fromLog);
  // In the explorer a line wider than the terminal is cut with … (one row per line, so the
  // screen's scrolling counts right); printed by `evtrail trace` it wraps, nothing lost.
  const wrap = cut ? 'truncate-end' : 'wrap';
  const { header, cells } = treeColumns(tree);
  const gutter = cursor === undefined ? '' : ' ';
  const columns = fitTreeColumns(header, cells, width === undefined ? undefined : width - gutter.length);
  const pad = (c: Shown, text: string) => (c.name === 'notes' ? text : cutCell(c.name, text, c.width).padEnd(c.width) + '  ');
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
      <Text bold wrap={wrap}>{gutter + columns.map((c) => pad(c, c.name)).join('')}</Text>
      <Text dimColor wrap={wrap}>{gutter + columns.map((c) => pad(c, '─'.repeat(c.name === 'notes' ? 5 : c.width))).join('')}</Text>
      {top > 0 ? <Text dimColor>{`… ${top} above`}</Text> : null}
      {tree.rows.map((row, r) => {
        if (r < top || (rows !== undefined && r >= top + rows)) return null;
        const cell = cells[r]!;
        const selected = cursor === r;
        return (
          <Text key={r} wrap={wrap} inverse={selected}>
            {gutter ? (selected ? '›' : ' ') : ''}
            {columns.map((c) => {
              const text = cell[c.i] ?? '';
              switch (c.name) {
                case 'time':
                case 'id':
                  return <Text key={c.name} dimColor>{pad(c, text)}</Text>;
                case 'Δt':
                  return <Text key={c.name} color={deltaColor(row)}>{pad(c, text)}</Text>;
                case 'event': {
                  const shown = cutCell('event', text, c.width);
                  const prefix = shown.slice(0, Math.min(row.prefix.length, shown.length));
                  return (
                    <Text key={c.name}>
                      <Text dimColor>{prefix}</Text>
                      <Text bold={row.critical}>{shown.slice(prefix.length).padEnd(c.width - prefix.length) + '  '}</Text>
                    </Text>
                  );
                }
                case 'source':
                  return <Text key={c.name} color="cyan">{pad(c, text)}</Text>;
                case 'notes':
                  return row.marks.map((m, i) => (
                    <Text key={`m${i}`} color={MARK_COLOR[m.kind]}>
                      {(i > 0 ? '  ' : '') + `${MARK_SIGN[m.kind]} ${m.text}`}
                    </Text>
                  ));
                default:
                  return <Text key={c.name}>{pad(c, text)}</Text>;
              }
            })}
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
