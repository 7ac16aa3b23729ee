/**
 * `watch` in a terminal: alerts scroll above (they stay in the scrollback when watch ends), and
 * a compact panel below says how the flow is doing — events and rate, lag behind the newest
 * event, the busiest types, the last notice. Loaded only when stdout is a terminal (no --json).
 */
import { Box, Static, Text, render, useStdout } from 'ink';
import { useEffect, useState } from 'react';
import { formatDuration } from '../core/time.js';
import { terminalSafe } from '../output/terminal.js';
import type { Alert } from './alerts.js';
import type { BatchReport } from './watcher.js';

export interface LiveState {
  sources: string;
  db: string;
  alerts: Alert[];
  events: number;
  /** Batches of the last few seconds, for the rate. */
  recent: { at: number; events: number; types: Record<string, number> }[];
  lagMs: number | null;
  notice: string | null;
  stopping: boolean;
}

const WINDOW_MS = 5000;
const SEVERITY_COLOUR = { error: 'red', warning: 'yellow', info: 'cyan' } as const;

/** The middle of a long text cut out (ids and streams differ at their ends). */
function fit(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return text.slice(0, width);
  const head = Math.ceil((width - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (width - 1 - head))}`;
}

function rate(state: LiveState, now: number): { perSecond: number; types: [string, number][] } {
  const recent = state.recent.filter((b) => now - b.at <= WINDOW_MS);
  const span = Math.max(1, Math.min(WINDOW_MS, recent.length ? now - recent[0]!.at + 1000 : WINDOW_MS)) / 1000;
  const types = new Map<string, number>();
  let n = 0;
  for (const b of recent) {
    n += b.events;
    for (const [t, c] of Object.entries(b.types)) types.set(t, (types.get(t) ?? 0) + c);
  }
  return { perSecond: Math.round(n / span), types: [...types].sort((a, b) => b[1] - a[1]).map(([t, c]) => [t, Math.round(c / span)]) };
}

/** One alert on one line: time, severity and rule first (cut at the end when the line is too long). */
export function alertLine(a: Alert): string {
  return terminalSafe(`${a.raisedAt.slice(11, 23)} ${a.severity.padEnd(7)} ${a.rule}  ${a.stream ?? a.eventId ?? ''}: ${a.message}`);
}

function View({ subscribe }: { subscribe: (fn: (s: LiveState) => void) => () => void }) {
  const [state, setState] = useState<LiveState | null>(null);
  const [now, setNow] = useState(Date.now());
  const { stdout } = useStdout();
  const [width, setWidth] = useState(stdout.columns || 80);
  useEffect(() => subscribe((s) => setState({ ...s, alerts: [...s.alerts] })), [subscribe]);
  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 1000);
    const resize = () => setWidth(stdout.columns || 80);
    stdout.on('resize', resize);
    return () => {
      clearInterval(tick);
      stdout.off('resize', resize);
    };
  }, [stdout]);
  if (!state) return null;
  const { perSecond, types } = rate(state, now);
  const inner = Math.max(20, width - 4);
  const typesText = types.length ? types.slice(0, 6).map(([t, n]) => `${t} ${n}/s`).join(' · ') : 'no events in the last 5 s';
  return (
    <>
      <Static items={state.alerts}>
        {(a, i) => (
          <Text key={i} color={SEVERITY_COLOUR[a.severity]} wrap="truncate-end">
            {alertLine(a)}
          </Text>
        )}
      </Static>
      <Box flexDirection="column" borderStyle="round" borderDimColor width={Math.max(24, width)} paddingX={1}>
        <Text wrap="truncate-end">
          <Text color={state.alerts.length ? 'red' : 'green'}>{`${state.alerts.length} alert${state.alerts.length === 1 ? '' : 's'}`}</Text>
          <Text>{`  ${state.events.toLocaleString('en-US')} events  ${perSecond.toLocaleString('en-US')}/s  lag ${state.lagMs === null ? '—' : formatDuration(BigInt(state.lagMs) * 1_000_000n)}  `}</Text>
          <Text bold>{terminalSafe(state.sources)}</Text>
        </Text>
        <Text dimColor wrap="truncate-end">{fit(terminalSafe(typesText), inner)}</Text>
        {state.notice ? <Text color="yellow" wrap="truncate-end">{fit(terminalSafe(state.notice), inner)}</Text> : null}
        <Text dimColor wrap="truncate-end">{state.stopping ? 'stopping after the batch in flight…' : `Ctrl-C stops after the batch in flight · store ${terminalSafe(state.db)}`}</Text>
      </Box>
    </>
  );
}

/** Starts the view; returns how to feed it and how to end it (the last frame stays on screen). */
export function startLiveView(sources: string, db: string) {
  const state: LiveState = { sources, db, alerts: [], events: 0, recent: [], lagMs: null, notice: null, stopping: false };
  const listeners = new Set<(s: LiveState) => void>();
  const push = () => {
    for (const l of listeners) l(state);
  };
  const subscribe = (fn: (s: LiveState) => void) => {
    listeners.add(fn);
    fn(state);
    return () => listeners.delete(fn);
  };
  const app = render(<View subscribe={subscribe} />, { patchConsole: false, exitOnCtrlC: false });
  let ended = false;
  return {
    alert(a: Alert) {
      state.alerts.push(a);
      push();
    },
    batch(b: BatchReport) {
      state.events += b.events;
      state.recent = [...state.recent.filter((r) => b.at - r.at <= WINDOW_MS), { at: b.at, events: b.events, types: b.types }];
      if (b.lagMs !== null) state.lagMs = b.lagMs;
      push();
    },
    notice(message: string) {
      state.notice = message;
      push();
    },
    stopping() {
      state.stopping = true;
      push();
    },
    async end() {
      if (ended) return;
      ended = true;
      app.unmount();
      await app.waitUntilExit();
    },
  };
}
