/** SQL: a console over the store (multi-line, history), results in a table that scrolls both ways. */
import { Box, Text, type Key } from 'ink';
import { useEffect, useState } from 'react';
import type { ScreenProps } from '../context.js';
import { Grid } from '../components/grid.js';
import { cursorPlace, editText, editorWindow, verticalMove, type TextState } from '../components/text-editor.js';
import { useApp, useScreenKeys } from '../context.js';
import { SQL_ROWS, runSql, type SqlResult } from '../data/sql.js';
import { cellText } from '../../../output/table.js';
import { listMoveOf } from '../hooks/use-list.js';
import { useRequest } from '../hooks/use-request.js';

export type SqlEdit = { text: string; run: boolean };

/**
 * The console's editing keys (pure): enter runs when the statement ends with `;` (as psql),
 * else breaks the line at the cursor; ctrl-r runs at once; the rest moves the cursor or edits
 * at it (see editText: ← →, home / end, ctrl-a / ctrl-e, backspace, ctrl-d, ctrl-k, ctrl-u);
 * pasted text is kept with its line breaks. Undefined: a key the editor leaves alone.
 */
export function editSqlAt(s: TextState, input: string, key: Key): (TextState & { run: boolean }) | undefined {
  if (key.ctrl && input === 'r') return { ...s, run: s.text.trim() !== '' };
  if (key.return) return s.text.trim().endsWith(';') ? { ...s, run: true } : { text: s.text.slice(0, s.cursor) + '\n' + s.text.slice(s.cursor), cursor: s.cursor + 1, run: false };
  const e = editText(s, input, key);
  // Pasted text that ends with its Enter (`select 1;⏎` arrives as one chunk, not as a key):
  // run, as the Enter typed after it would.
  if (e && /[\r\n]$/.test(input) && e.text.trimEnd().endsWith(';')) {
    const text = e.text.trimEnd();
    return { text, cursor: text.length, run: true };
  }
  return e && { ...e, run: false };
}

/** editSqlAt with the cursor at the end of the text. */
export function editSql(text: string, input: string, key: Key): SqlEdit | undefined {
  const e = editSqlAt({ text, cursor: text.length }, input, key);
  return e && { text: e.text, run: e.run };
}

export function SqlScreen({ active }: ScreenProps) {
  const app = useApp();
  const { data, width, height } = app;
  const [edit, setEdit] = useState<TextState>({ text: '', cursor: 0 });
  const text = edit.text;
  const [focused, setFocused] = useState(true);
  const [history, setHistory] = useState<string[]>([]);
  const [back, setBack] = useState(0);
  const [result, run] = useRequest<SqlResult>(data.runner);
  const [top, setTop] = useState(0);
  const [left, setLeft] = useState(0);
  // The statement the result is of, shown above it (the editor is cleared for the next one).
  const [ran, setRan] = useState('');

  // Coming to the screen puts you in the editor (esc leaves it for the global keys).
  useEffect(() => {
    if (active) setFocused(true);
  }, [active]);

  const lines = text.split('\n');
  const editorRows = Math.min(6, lines.length);
  const place = cursorPlace(edit);
  const firstRow = editorWindow(lines.length, place.line, editorRows);
  const RAN_ROWS = 3;
  const ranLines = ran ? ran.split('\n') : [];
  const ranShown = ranLines.length > RAN_ROWS ? [...ranLines.slice(0, RAN_ROWS - 1), `… (${ranLines.length - RAN_ROWS + 1} more lines)`] : ranLines;
  const gridHeight = Math.max(1, height - editorRows - 3 - ranShown.length);
  const res = result.data;

  const execute = (sql: string) => {
    setHistory((h) => (h[0] === sql ? h : [sql, ...h].slice(0, 100)));
    setBack(0);
    setTop(0);
    setLeft(0);
    setRan(sql.trim());
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
      // Between the lines of the statement; history above the first and below the last.
      const moved = verticalMove(edit, key.upArrow ? -1 : 1);
      if (moved) return setEdit(moved), true;
      if (history.length === 0) return true;
      const next = key.upArrow ? Math.min(history.length, back + 1) : Math.max(0, back - 1);
      const recalled = next === 0 ? '' : history[next - 1]!;
      setBack(next);
      setEdit({ text: recalled, cursor: recalled.length });
      return true;
    }
    if (key.pageUp || key.pageDown) return scroll(input, key);
    const e = editSqlAt(edit, input, key);
    if (!e) return key.tab ? false : true;
    setEdit(e.run ? { text: '', cursor: 0 } : { text: e.text, cursor: e.cursor });
    if (e.run) execute(e.text);
    return true;
  });

  return (
    <Box flexDirection="column">
      {lines.slice(firstRow, firstRow + editorRows).map((l, j) => {
        const i = firstRow + j;
        const prompt = i === 0 ? 'sql> ' : '  -> ';
        if (!focused || i !== place.line) {
          return (
            <Text key={i} wrap="truncate">
              <Text color="cyan" dimColor={!focused}>{prompt}</Text>
              {l}
              {!focused && i === 0 && text === '' ? <Text dimColor>e or enter to type SQL</Text> : null}
            </Text>
          );
        }
        // The cursor's line, shifted left when the cursor is past the terminal's edge.
        const room = Math.max(4, width - prompt.length - 1);
        const from = place.column < room ? 0 : place.column - room + 2;
        const shown = (from > 0 ? '…' : '') + l.slice(from + (from > 0 ? 1 : 0));
        const col = place.column - from;
        return (
          <Text key={i} wrap="truncate">
            <Text color="cyan">{prompt}</Text>
            {shown.slice(0, col)}
            <Text inverse>{shown[col] ?? ' '}</Text>
            {shown.slice(col + 1)}
          </Text>
        );
      })}
      <Text dimColor wrap="truncate">
        {focused ? '; + enter runs · ctrl-r now · ↑↓ history · PgUp PgDn scroll · esc leaves · ? keys' : 'j k PgUp PgDn ← → scroll · e edit'}
      </Text>
      {ranShown.map((l, i) => (
        <Text key={`ran${i}`} dimColor wrap="truncate">
          {(i === 0 ? 'ran> ' : '  -> ') + l}
        </Text>
      ))}
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
