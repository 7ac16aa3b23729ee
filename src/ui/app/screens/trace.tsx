/**
 * Trace: the causality tree of an event id, stream, order id or correlation id (as `evtrail
 * trace`), fitted to the terminal with the notes kept; ↑↓ select an event, enter shows it in
 * full (esc back to the tree, r replays up to it).
 */
import { Box, Text, type Key } from 'ink';
import { useEffect, useState } from 'react';
import type { TraceTree } from '../../../trace/view.js';
import { TraceTreeView } from '../../../trace/tree-view.js';
import type { ScreenProps } from '../context.js';
import { EventDetailView } from '../components/event-detail.js';
import { LineEditor, editLine } from '../components/line-editor.js';
import { eventById, type EventDetail } from '../data/events.js';
import { scrollWindow } from '../format.js';
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
  const [cursor, setCursor] = useState(0);
  const [detail, loadDetail] = useRequest<EventDetail | null>(data.runner);
  const [detailOpen, setDetailOpen] = useState(false);
  const [detailTop, setDetailTop] = useState(0);

  const trace = (what: string) => {
    setId(what);
    setTop(0);
    setCursor(0);
    setDetailOpen(false);
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
    if (detailOpen) {
      const m = listMoveOf(input, key);
      if (m) {
        const step = { up: -1, down: 1, pageUp: -(height - 1), pageDown: height - 1, first: -Infinity, last: Infinity }[m];
        setDetailTop((x) => Math.max(0, x + step));
        return true;
      }
      if (key.escape) {
        setDetailOpen(false);
        return true;
      }
      if (input === 'r' && detail.data) {
        app.go('replay', { seq: detail.data.seq });
        return true;
      }
      return false;
    }
    if (input === '/') {
      setEdit('');
      setEditing(true);
      return true;
    }
    const m = listMoveOf(input, key);
    if (m && t && t.rows.length) {
      // The cursor moves; the window follows it.
      const step = { up: -1, down: 1, pageUp: -shown, pageDown: shown, first: -Infinity, last: Infinity }[m];
      const next = Math.max(0, Math.min(t.rows.length - 1, cursor + step));
      setCursor(next);
      setTop((x) => scrollWindow(t.rows.length, next, shown, x));
      return true;
    }
    if (key.return && t && t.rows[cursor]) {
      const eventId = t.rows[cursor]!.id;
      setDetailOpen(true);
      setDetailTop(0);
      loadDetail('reading the event', () => eventById(data.store, eventId));
      return true;
    }
    return false;
  });

  if (detailOpen) {
    return (
      <Box flexDirection="column">
        <Text dimColor wrap="truncate">event in full · r replay up to it · esc back to the trace</Text>
        {detail.data ? <EventDetailView detail={detail.data} width={width} height={height - 1} top={detailTop} /> : <Text dimColor>{detail.error ?? (detail.data === null ? 'no such event' : 'reading…')}</Text>}
      </Box>
    );
  }

  return (
    <Box flexDirection="column">
      {editing ? (
        <LineEditor label="trace /" value={edit} width={width} placeholder="an event id, stream, order id or correlation id" />
      ) : (
        <Text dimColor wrap="truncate">{id ? `trace of ${id} · ↑↓ select · enter the event · / another id · esc back` : '/ to trace an id'}</Text>
      )}
      {tree.error ? <Text color="red">{tree.error}</Text> : null}
      {tree.cancelled ? <Text dimColor>cancelled</Text> : null}
      {t && !tree.error ? <TraceTreeView tree={t} top={top} rows={shown} cut width={width} cursor={cursor} /> : null}
    </Box>
  );
}
