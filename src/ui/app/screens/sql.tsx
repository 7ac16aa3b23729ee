/** SQL: a console over the store (multi-line, history), results in a table that scrolls both ways. */
import { Box, Text, type Key } from 'ink';
import { useEffect, useState } from 'react';
import type { ScreenProps } from '../app.js';
import { Grid } from '../components/grid.js';
import { useApp, useScreenKeys } from '../context.js';
import { SQL_ROWS, runSql, type SqlResult } from '../data/sql.js';
import { cellText } from '../../../cli/render.js';
import { listMoveOf } from '../hooks/use-list.js';
import { useRequest } from '../hooks/use-request.js';

export type SqlEdit = { text: string; run: boolean };

/**
 * The console's editing keys (pure): enter runs when the statement ends with `;` (as psql),
 * else starts a new line; ctrl-r runs at once; backspace, ctrl-u (clear); pasted text is kept
 * with its line breaks.
 */
export function editSql(text: string, input: string, key: Key): SqlEdit | undefined {
  if (key.ctrl && input === 'r') return { text, run: text.trim() !== '' };
  if (key.return) return text.trim().endsWith(';') ? { text, run: true } : { text: text + '\n', run: false };
  if (key.backspace || key.delete) return { text: text.slice(0, -1), run: false };
  if (key.ctrl && input === 'u') return { text: '', run: false };
  if (key.ctrl || key.meta || key.escape || key.tab) return undefined;
  const typed = input.replace(/\r\n?/g, '\n').replace(/[\x00-\x09\x0b-\x1f\x7f]/g, '');
  return typed ? { text: text + typed, run: false } : undefined;
}

export function SqlScreen({ active }: ScreenProps) {
  const app = useApp();
  const { data, width, height } = app;
  const [text, setText] = useState('');
  const [focused, setFocused] = useState(true);
  const [history, setHistory] = useState<string[]>([]);
  const [back, setBack] = useState(0);
  const [result, run] = useRequest<SqlResult>(data.runner);
  const [top, setTop] = useState(0);
  const [left, setLeft] = useState(0);

  // Coming to the screen puts you in the editor (esc leaves it for the global keys).
  useEffect(() => {
    if (active) setFocused(true);
  }, [active]);

  const lines = text.split('\n');
  const editorRows = Math.min(6, lines.length);
  const gridHeight = Math.max(1, height - editorRows - 3);
  const res = result.data;

  const execute = (sql: string) => {
    setHistory((h) => (h[0] === sql ? h : [sql, ...h].slice(0, 100)));
    setBack(0);
    setTop(0);
    setLeft(0);
    run('running SQL', () => runSql(data.store, sql));
  };

  const scroll = (input: string, key: Key): boolean => {
    if (key.leftArrow) return setLeft((l) => Math.max(0, l - 1)), true;
    if (key.rightArrow) return setLeft((l) => Math.min(Math.max(0, (res?.columns.length ?? 1) - 1), l + 1)), true;
    const m = listMoveOf(input, key);
    if (!m || !res) return false;
    const max = Math.max(0, res.rows.length - gridHeight);
    const step = { up: -1, down: 1, pageUp: -gridHeight, pageDown: gridHeight, first: -Infinity, last: Infinity }[m];
    setTop((t) => Math.max(0, Math.min(max, t + step)));
    return true;
  };

  useScreenKeys('sql', (input, key) => {
    if (!focused) {
      if (input === 'e' || key.return) return setFocused(true), true;
      return scroll(input, key);
    }
    if (key.escape) return setFocused(false), true;
    if (key.upArrow || key.downArrow) {
      if (history.length === 0) return true;
      const next = key.upArrow ? Math.min(history.length, back + 1) : Math.max(0, back - 1);
      setBack(next);
      setText(next === 0 ? '' : history[next - 1]!);
      return true;
    }
    if (key.leftArrow || key.rightArrow || key.pageUp || key.pageDown) return scroll(input, key);
    const e = editSql(text, input, key);
    if (!e) return key.tab ? false : true;
    setText(e.run ? '' : e.text);
    if (e.run) execute(e.text);
    return true;
  });

  return (
    <Box flexDirection="column">
      {lines.slice(-editorRows).map((l, i, shown) => (
        <Text key={i} wrap="truncate">
          <Text color="cyan" dimColor={!focused}>{i === 0 && lines.length === shown.length ? 'sql> ' : '  -> '}</Text>
          {l}
          {focused && i === shown.length - 1 ? <Text inverse> </Text> : null}
          {!focused && i === 0 && text === '' ? <Text dimColor>e or enter to type SQL</Text> : null}
        </Text>
      ))}
      <Text dimColor wrap="truncate">
        {focused ? 'end with ; and enter to run (ctrl-r runs now) · ↑↓ history · ←→ PgUp PgDn scroll · esc leaves the editor' : 'j k PgUp PgDn ← → scroll · e edit'}
      </Text>
      {result.error ? <Text color="red" wrap="wrap">{result.error}</Text> : null}
      {result.cancelled ? <Text dimColor>cancelled</Text> : null}
      {res && !result.error ? (
        <>
          <Grid columns={res.columns} rows={res.rows.map((r) => r.map((v) => cellText(v as never)))} width={width} height={gridHeight} top={top} left={left} />
          <Text dimColor>{`${res.rows.length}${res.more ? `+ rows (the first ${SQL_ROWS} shown)` : ` row${res.rows.length === 1 ? '' : 's'}`} · ${res.ms} ms`}</Text>
        </>
      ) : null}
    </Box>
  );
}
