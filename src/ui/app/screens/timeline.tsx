/**
 * Timeline: the log a page at a time (keyset pagination over seq; only the page on screen is
 * ever read), filtered in SQL, with a jump to a time and the selected event in full.
 */
import { Box, Text, type Key } from 'ink';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { UserError } from '../../../core/errors.js';
import { parseAt } from '../../../core/time.js';
import type { ScreenProps } from '../context.js';
import { EventDetailView, detailLines } from '../components/event-detail.js';
import { Grid } from '../components/grid.js';
import { LineEditor, editLine } from '../components/line-editor.js';
import { useApp, useScreenKeys } from '../context.js';
import {
  FILTER_HELP, NO_FILTER, eventBySeq, filterText, isEmptyFilter, pageAfter, pageAt, pageBefore, parseFilter,
  type EventDetail, type EventFilter, type EventRow,
} from '../data/events.js';
import { fitMiddle, shortTime } from '../format.js';
import { listMoveOf } from '../hooks/use-list.js';
import { useRequest } from '../hooks/use-request.js';
import { mark } from '../timings.js';

type Mode = 'list' | 'detail' | 'filter' | 'jump';
/** Where the cursor goes when a page arrives. */
type Place = number | 'last';

export function TimelineScreen({ active, params }: ScreenProps) {
  const app = useApp();
  const { data, width, height } = app;
  const store = data.store;
  const pageSize = Math.max(1, height - 2);
  const [filter, setFilter] = useState<EventFilter>(NO_FILTER);
  const [page, loadPage] = useRequest<EventRow[]>(data.runner);
  const [detail, loadDetail] = useRequest<EventDetail | null>(data.runner);
  const [cursor, setCursor] = useState(0);
  const [mode, setMode] = useState<Mode>('list');
  const [edit, setEdit] = useState('');
  const [detailTop, setDetailTop] = useState(0);
  const [left, setLeft] = useState(0);
  const place = useRef<Place>(0);
  const timing = useRef<{ event: string; t0: number } | undefined>(undefined);
  const rows = page.data ?? [];

  /** Loads a page; `keep` keeps the current one when the new one is empty (the end of the log). */
  const load = (label: string, fn: () => Promise<EventRow[]>, at: Place, keep = false, event?: string, background = false) => {
    const current = rows;
    place.current = at;
    timing.current = event ? { event, t0: performance.now() } : undefined;
    loadPage(label, async () => {
      const found = await fn();
      return keep && found.length === 0 ? current : found;
    }, undefined, { background });
  };

  useEffect(() => {
    const p = page.data;
    if (!p) return;
    setCursor(place.current === 'last' ? Math.max(0, p.length - 1) : Math.min(place.current, Math.max(0, p.length - 1)));
    if (timing.current) mark(timing.current.event, performance.now() - timing.current.t0);
    timing.current = undefined;
  }, [page.data]);

  // The first page, and a drill-in from another screen (an event's seq, a type filter).
  useEffect(() => {
    if (params?.filter !== undefined) {
      const f = parseFilter(params.filter, data.bounds);
      setFilter(f);
      setMode('list');
      load('reading events', () => pageAfter(store, f, 0, pageSize), 0);
      return;
    }
    if (params?.seq !== undefined) {
      const seq = params.seq;
      setFilter(NO_FILTER);
      setMode('list');
      load('reading events', () => pageAfter(store, NO_FILTER, seq - 1, pageSize), 0);
      return;
    }
    load('reading events', () => pageAfter(store, filter, 0, pageSize), 0, false, 'timeline-first');
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [params?.nonce]);

  // A resize changes the page's height: the page is read again from its first row.
  const shownSize = useRef(pageSize);
  useEffect(() => {
    if (shownSize.current === pageSize) return;
    shownSize.current = pageSize;
    const first = rows[0];
    if (first) load('reading events', () => pageAfter(store, filter, first.seq - 1, pageSize), cursor);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pageSize]);

  // A live store (ui --watch): a page that shows the log's end (short, or ending at the last
  // seq of the previous refresh) is read again, so new events come in below, scrolling a full
  // page up under the cursor; a page further back stays as it is. A refresh that comes while a
  // page is being read is looked at once that page is in (it may be the end: G).
  const liveVersion = useSyncExternalStore(data.subscribeLive, data.liveVersion);
  const endSeen = useRef(Number(data.bounds.lastSeq ?? 0));
  const followPending = useRef(false);
  const follow = () => {
    const before = endSeen.current;
    endSeen.current = Number(data.bounds.lastSeq ?? 0);
    if (mode === 'filter' || mode === 'jump') return;
    const last = rows.at(-1);
    if (rows.length < pageSize) load('following the log', () => pageAfter(store, filter, rows[0] ? rows[0].seq - 1 : 0, pageSize), cursor, false, undefined, true);
    else if (last && last.seq >= before) load('following the log', () => pageBefore(store, filter, Number.MAX_SAFE_INTEGER, pageSize), cursor, false, undefined, true);
  };
  useEffect(() => {
    if (liveVersion === 0) return;
    if (page.loading) followPending.current = true;
    else follow();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [liveVersion]);
  useEffect(() => {
    if (!followPending.current || page.loading) return;
    followPending.current = false;
    follow();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [page.data, page.loading]);

  const selected = rows[cursor];
  const openDetail = (row: EventRow) => {
    setMode('detail');
    setDetailTop(0);
    loadDetail('reading the event', () => eventBySeq(store, row.seq));
  };

  const listKeys = (input: string, key: Key): boolean => {
    const first = rows[0];
    const last = rows.at(-1);
    const m = listMoveOf(input, key);
    if (m === 'down') {
      if (cursor < rows.length - 1) setCursor(cursor + 1);
      else if (first && rows.length === pageSize) load('reading events', async () => [...rows.slice(1), ...(await pageAfter(store, filter, last!.seq, 1))].slice(-pageSize), 'last', false);
      return true;
    }
    if (m === 'up') {
      if (cursor > 0) setCursor(cursor - 1);
      else if (first) load('reading events', async () => [...(await pageBefore(store, filter, first.seq, 1)), ...rows].slice(0, pageSize), 0);
      return true;
    }
    if (m === 'pageDown') {
      if (last && rows.length === pageSize) load('reading events', () => pageAfter(store, filter, last.seq, pageSize), cursor, true, 'timeline-page-down');
      else setCursor(Math.max(0, rows.length - 1));
      return true;
    }
    if (m === 'pageUp') {
      if (first) {
        load('reading events', async () => {
          const before = await pageBefore(store, filter, first.seq, pageSize);
          // Near the start a short page is topped up to a full one.
          return before.length < pageSize ? pageAfter(store, filter, 0, pageSize) : before;
        }, cursor, true, 'timeline-page-up');
      }
      return true;
    }
    if (m === 'first') {
      load('reading events', () => pageAfter(store, filter, 0, pageSize), 0);
      return true;
    }
    if (m === 'last') {
      load('reading events', () => pageBefore(store, filter, Number.MAX_SAFE_INTEGER, pageSize), 'last', false, 'timeline-last');
      return true;
    }
    if (key.leftArrow || key.rightArrow) {
      // Wide rows (a narrow terminal, long streams or ids): the columns after seq scroll.
      const { maxLeft } = scrolledEventLines(rows, width, data.oneDay, Number(data.bounds.lastSeq ?? 0), 0);
      setLeft((l) => Math.max(0, Math.min(maxLeft, Math.min(l, maxLeft) + (key.rightArrow ? SCROLL_STEP : -SCROLL_STEP))));
      return true;
    }
    if (key.return && selected) {
      openDetail(selected);
      return true;
    }
    if (input === '/') {
      setEdit(filterText(filter));
      setMode('filter');
      return true;
    }
    if (input === '@') {
      setEdit('');
      setMode('jump');
      return true;
    }
    return goKeys(input, selected);
  };

  /** t: the event's trace, r: replay up to it (from the list and from the detail alike). */
  const goKeys = (input: string, event: { id: string; seq: number } | null | undefined): boolean => {
    if (!event || (input !== 't' && input !== 'r')) return false;
    if (input === 't') app.go('trace', { id: event.id });
    else app.go('replay', { seq: event.seq });
    return true;
  };

  const editorKeys = (input: string, key: Key): boolean => {
    const { value, action } = editLine(edit, input, key);
    if (action === 'cancel') setMode('list');
    else if (action === 'edit') setEdit(value);
    else if (action === 'submit') {
      try {
        if (mode === 'filter') {
          const f = parseFilter(value, data.bounds);
          setFilter(f);
          const from = selected ? selected.seq - 1 : 0;
          load('filtering', async () => {
            const after = await pageAfter(store, f, from, pageSize);
            return after.length ? after : pageBefore(store, f, Number.MAX_SAFE_INTEGER, pageSize);
          }, 0, false, 'timeline-filter');
        } else {
          const at = parseAt(value, data.bounds, '@');
          load('jumping', () => pageAt(store, filter, at, pageSize), 0, false, 'timeline-jump');
        }
        app.say(undefined);
        setMode('list');
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        app.say(`${error.message}${error.hint ? ` (${error.hint})` : ''}`);
      }
    }
    return true;
  };

  const detailKeys = (input: string, key: Key): boolean => {
    const d = detail.data;
    const lines = d ? detailLines(d, width).length : 0;
    const m = listMoveOf(input, key);
    const room = height - 1;
    if (m) {
      const step = { up: -1, down: 1, pageUp: -room, pageDown: room, first: -Infinity, last: Infinity }[m];
      setDetailTop((t) => Math.max(0, Math.min(Math.max(0, lines - room), t + step)));
      return true;
    }
    if (key.escape) {
      setMode('list');
      return true;
    }
    return goKeys(key.return ? 't' : input, d);
  };

  useScreenKeys('timeline', (input, key) => {
    if (mode === 'filter' || mode === 'jump') return editorKeys(input, key);
    if (mode === 'detail') return detailKeys(input, key);
    return listKeys(input, key);
  });

  if (mode === 'detail') {
    return (
      <Box flexDirection="column">
        <Text dimColor wrap="truncate">event in full · enter/t trace · r replay up to it · esc back</Text>
        {detail.data ? <EventDetailView detail={detail.data} width={width} height={height - 1} top={detailTop} /> : <Text dimColor>{detail.error ?? 'reading…'}</Text>}
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      {mode === 'filter' ? (
        <LineEditor label="filter /" value={edit} width={width} placeholder={FILTER_HELP} />
      ) : mode === 'jump' ? (
        <LineEditor label="jump to @" value={edit} width={width} placeholder="10:31, +5m, end-30s, 2025-08-26T10:00Z, seq:N" />
      ) : (
        <Text wrap="truncate" dimColor={isEmptyFilter(filter)}>
          {isEmptyFilter(filter) ? 'all events · / filter · @ time · enter detail · t trace · r replay · ←→ scroll' : `filter: ${filterText(filter)}`}
        </Text>
      )}
      {page.error ? <Text color="red">{page.error}</Text> : null}
      {page.data && rows.length === 0 ? <Text dimColor>no events{isEmptyFilter(filter) ? '' : ' match the filter'}</Text> : null}
      {rows.length ? <EventGrid rows={rows} cursor={cursor} width={width} height={pageSize} oneDay={data.oneDay} lastSeq={Number(data.bounds.lastSeq ?? 0)} left={left} /> : null}
    </Box>
  );
}

/** Columns a → or ← scrolls the timeline by. */
export const SCROLL_STEP = 10;

/**
 * The page scrolled `left` characters to the right (pure): every column at its full width, the
 * seq column kept in place, the rest of the row cut to the terminal with … where it goes on.
 * `left` is clamped to the widest row (maxLeft 0: the rows fit, nothing to scroll).
 */
export function scrolledEventLines(rows: EventRow[], width: number, oneDay: boolean, lastSeq: number, left: number): { header: string; lines: string[]; left: number; maxLeft: number } {
  const names = ['seq', 'time', 'type', 'stream', 'source', 'id'];
  const cells = rows.map((r) => [String(r.seq), shortTime(r.ts, oneDay), r.type, r.stream ?? '', r.source ?? '', r.id]);
  const widths = names.map((h, i) => Math.max(h.length, i === 0 ? String(lastSeq).length : 0, ...cells.map((c) => c[i]!.length)));
  const rest = (c: string[]) => c.slice(1).map((v, i) => v.padEnd(widths[i + 1]!)).join('  ');
  // The gutter (›) and the seq column stay; the rest scrolls in what is left.
  const room = Math.max(8, width - 1 - widths[0]! - 2);
  const full = rest(names).length;
  const maxLeft = Math.max(0, full - room);
  const l = Math.max(0, Math.min(left, maxLeft));
  const cut = (text: string) => {
    let shown = text.padEnd(full).slice(l, l + room);
    if (l > 0) shown = '…' + shown.slice(1);
    if (l + room < full && text.slice(l + room).trim() !== '') shown = shown.slice(0, -1) + '…';
    return shown.trimEnd();
  };
  const line = (c: string[]) => `${c[0]!.padEnd(widths[0]!)}  ${cut(rest(c))}`;
  return { header: line(names), lines: cells.map(line), left: l, maxLeft };
}

/** The page as a table: seq, time, type, stream, source, id, sized to the terminal (or scrolled). */
export function EventGrid({ rows, cursor, width, height, oneDay, lastSeq, left = 0 }: { rows: EventRow[]; cursor: number; width: number; height: number; oneDay: boolean; lastSeq: number; left?: number }) {
  if (left > 0) {
    const s = scrolledEventLines(rows, width, oneDay, lastSeq, left);
    if (s.left > 0) {
      return (
        <Box flexDirection="column">
          <Text bold wrap="truncate">{' ' + s.header}</Text>
          {s.lines.slice(0, height).map((l, i) => (
            <Text key={rows[i]!.seq} inverse={i === cursor} wrap="truncate">
              {(i === cursor ? '›' : ' ') + l}
            </Text>
          ))}
        </Box>
      );
    }
  }
  const cells = rows.map((r) => [String(r.seq), shortTime(r.ts, oneDay), r.type, r.stream ?? '', r.source ?? '', r.id]);
  const seqW = Math.max(3, String(lastSeq).length);
  const timeW = oneDay ? 12 : 23;
  const typeW = Math.min(24, Math.max(4, ...rows.map((r) => r.type.length)));
  const rest = Math.max(12, width - seqW - timeW - typeW - 11);
  const streamW = Math.floor(rest * 0.42);
  const sourceW = Math.min(12, Math.floor(rest * 0.2));
  const idW = rest - streamW - sourceW;
  const fixed = [seqW, timeW, typeW, streamW, sourceW, idW];
  // The grid sizes columns from their content; the cells are cut to these widths first. Streams
  // and ids lose their middle ("order-…00042"): their ends tell the rows apart.
  const middle = new Set([3, 5]);
  const cut = cells.map((r) => r.map((c, i) => (c.length > fixed[i]! ? (middle.has(i) ? fitMiddle(c, fixed[i]!) : c.slice(0, fixed[i]! - 1) + '…') : c.padEnd(fixed[i]!))));
  const header = ['seq', 'time', 'type', 'stream', 'source', 'id'].map((h, i) => h.padEnd(fixed[i]!));
  return <Grid columns={header} rows={cut} width={width} height={height} top={0} cursor={cursor} maxCell={200} />;
}
