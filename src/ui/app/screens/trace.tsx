/** Trace: the causality tree of an event id, stream, order id or correlation id (as `evtrail trace`). */
import { Box, Text, type Key } from 'ink';
import { useEffect, useState } from 'react';
import type { TraceTree } from '../../../trace/view.js';
import { TraceTreeView } from '../../trace-tree.js';
import type { ScreenProps } from '../context.js';
import { LineEditor, editLine } from '../components/line-editor.js';
import { useApp, useScreenKeys } from '../context.js';
import { listMoveOf } from '../hooks/use-list.js';
import { useRequest } from '../hooks/use-request.js';
import { mark } from '../timings.js';

export function TraceScreen({ active, params }: ScreenProps) {
  const app = useApp();
  const { data, width, height } = app;
  const [tree, load] = useRequest<TraceTree>(data.runner);
  // Opened on an id (a drill-down): its first frame says so already.
  const [id, setId] = useState<string | undefined>(params?.id);
  const [editing, setEditing] = useState(false);
  const [edit, setEdit] = useState('');
  const [top, setTop] = useState(0);

  const trace = (what: string) => {
    setId(what);
    setTop(0);
    const t0 = performance.now();
    load(`tracing ${what}`, () => data.trace.tree(what), () => mark('trace', performance.now() - t0));
  };
  useEffect(() => {
    if (params?.id !== undefined) trace(params.id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [params?.nonce]);

  const t = tree.data;
  const fixed = t ? 7 + 2 * t.sagaLines.length + t.footer.length : 0;
  const shown = Math.max(3, height - fixed);
  useScreenKeys('trace', (input: string, key: Key) => {
    if (editing) {
      const r = editLine(edit, input, key);
      if (r.action === 'cancel') setEditing(false);
      else if (r.action === 'edit') setEdit(r.value);
      else if (r.action === 'submit' && r.value.trim()) {
        setEditing(false);
        trace(r.value.trim());
      }
      return true;
    }
    if (input === '/') {
      setEdit('');
      setEditing(true);
      return true;
    }
    const m = listMoveOf(input, key);
    if (m && t) {
      const max = Math.max(0, t.rows.length - shown);
      const step = { up: -1, down: 1, pageUp: -shown, pageDown: shown, first: -Infinity, last: Infinity }[m];
      setTop((x) => Math.max(0, Math.min(max, x + step)));
      return true;
    }
    return false;
  });

  return (
    <Box flexDirection="column">
      {editing ? (
        <LineEditor label="trace /" value={edit} width={width} placeholder="an event id, stream, order id or correlation id" />
      ) : (
        <Text dimColor wrap="truncate">{id ? `trace of ${id} · / another id · esc back` : '/ to trace an id'}</Text>
      )}
      {tree.error ? <Text color="red">{tree.error}</Text> : null}
      {tree.cancelled ? <Text dimColor>cancelled</Text> : null}
      {t && !tree.error ? <TraceTreeView tree={t} top={top} rows={shown} cut /> : null}
    </Box>
  );
}
