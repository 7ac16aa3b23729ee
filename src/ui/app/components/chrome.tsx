/** The app's frame: the tab bar, the status line (spinner while a query runs) and the help overlay. */
import { Box, Text } from 'ink';
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { LiveFeed, LiveState } from '../data/live.js';
import type { QueryRunner } from '../data/runner.js';
import { count, fit } from '../format.js';
import { GLOBAL_KEYS, SCREENS, SCREEN_KEYS, type ScreenId } from '../keys.js';

export function TabBar({ current, width }: { current: ScreenId; width: number }) {
  // Narrow terminals get the titles cut to fit (the numbers always show).
  const full = SCREENS.map((s, i) => ` ${i + 1} ${s.title} `).join('');
  const cut = full.length > width ? Math.max(1, Math.floor(width / SCREENS.length) - 3) : 99;
  return (
    <Text wrap="truncate">
      {SCREENS.map((s, i) => (
        <Text key={s.id} inverse={s.id === current} bold={s.id === current}>
          {s.id === current ? `[${i + 1} ${s.title.slice(0, cut)}]` : ` ${i + 1} ${s.title.slice(0, cut)} `}
        </Text>
      ))}
    </Text>
  );
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function StatusLine({ runner, message, store, width }: { runner: QueryRunner; message: string | undefined; store: string; width: number }) {
  const state = useSyncExternalStore(runner.subscribe, runner.snapshot);
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    if (state.label === undefined) return;
    const timer = setInterval(() => setFrame((f) => f + 1), 100);
    return () => clearInterval(timer);
  }, [state.label]);
  const hint = '? help · tab screens · q quit';
  if (state.label !== undefined) {
    const secs = ((performance.now() - state.since) / 1000).toFixed(1);
    // Background work keeps the keys' hint in front: it is not what the user waits for.
    return (
      <Text wrap="truncate">
        {state.background ? <Text dimColor>{hint} · </Text> : null}
        <Text color="cyan">{FRAMES[frame % FRAMES.length]} </Text>
        {`${state.label}${state.background ? ' in the background' : ''}… ${secs} s${state.queued ? ` (+${state.queued} queued)` : ''}`}
        <Text dimColor> · esc cancels</Text>
      </Text>
    );
  }
  if (message) {
    return (
      <Text wrap="truncate" color="red">
        {message}
      </Text>
    );
  }
  return (
    <Text wrap="truncate" dimColor>
      {hint}
      {' · ' + store.slice(Math.max(0, store.length - (width - hint.length - 3)))}
    </Text>
  );
}

export function HelpOverlay({ screen, width, height }: { screen: ScreenId; width: number; height: number }) {
  const title = SCREENS.find((s) => s.id === screen)!.title;
  const rows = [...GLOBAL_KEYS.map((k) => ['', ...k]), ['', '', ''], ...SCREEN_KEYS[screen].map((k) => [title, ...k])];
  const boxW = Math.min(width, 92);
  // Inside the border and padding; the key column, then the text wrapped under itself (a cut
  // line would hide what the key does).
  const inner = boxW - 4;
  const keyWidth = Math.min(Math.max(...rows.map((r) => r[1]!.length)) + 2, Math.floor(inner / 2));
  const lines: { key: string; text: string; screen: string }[] = [];
  for (const [screenName, key, text] of rows) {
    const words = `${text}${screenName ? ` (${screenName})` : ''}`;
    const wrapped = wrapWords(words, Math.max(8, inner - keyWidth));
    const keyLines = wrapWords(key!, keyWidth - 1);
    for (let i = 0; i < Math.max(wrapped.length, keyLines.length); i++) lines.push({ key: keyLines[i] ?? '', text: wrapped[i] ?? '', screen: screenName! });
  }
  const room = Math.max(0, height - 3);
  const shown = lines.length > room ? [...lines.slice(0, Math.max(0, room - 1)), { key: '', text: `… ${lines.length - room + 1} more lines: a taller terminal shows them`, screen: '' }] : lines;
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} width={boxW} height={Math.min(height, shown.length + 3)}>
      <Text bold>keys (any key closes this)</Text>
      {shown.map((r, i) => {
        const own = r.screen && r.text.endsWith(`(${r.screen})`);
        return (
          <Text key={i} wrap="truncate">
            <Text color="cyan">{r.key.padEnd(keyWidth)}</Text>
            {own ? r.text.slice(0, -r.screen.length - 2) : r.text}
            {own ? <Text dimColor>{`(${r.screen})`}</Text> : null}
          </Text>
        );
      })}
    </Box>
  );
}

/** Words in lines of at most `width` columns (a word longer than that is cut). */
export function wrapWords(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const w = word.length > width ? word.slice(0, width - 1) + '…' : word;
    if (!line) line = w;
    else if (line.length + 1 + w.length <= width) line += ' ' + w;
    else {
      out.push(line);
      line = w;
    }
  }
  if (line || out.length === 0) out.push(line);
  return out;
}

/**
 * ui --watch: a line saying the explorer is live (events stored by this run, lag, the last
 * batch, alerts), or that the watcher stopped, and why, in red when it failed.
 */
export function LiveLine({ live, stored, subscribeStored, width }: { live: LiveFeed; stored: () => number; subscribeStored: (l: () => void) => () => void; width: number }) {
  const s = useSyncExternalStore(live.subscribe, live.snapshot);
  // The store's count moves when the app has read it again (after the feed's news).
  const events = useSyncExternalStore(subscribeStored, stored);
  // The "ago" moves on while nothing comes.
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  return <Text wrap="truncate" color={liveColour(s)}>{fit(liveText(s, events, Date.now()), width)}</Text>;
}

function liveColour(s: LiveState): string {
  return s.status === 'failed' ? 'red' : s.status === 'running' ? 'green' : 'yellow';
}

/** The live line's words (pure): the feed's state, the events in the store, the time now. */
export function liveText(s: LiveState, stored: number, now: number): string {
  const counts = `${count(stored)} events (+${count(s.events)}) · ${count(s.alertCount)} alert${s.alertCount === 1 ? '' : 's'}`;
  if (s.status === 'failed') return `● watcher failed (q quits; the store stays open to explore): ${s.error ?? 'no reason given'}`;
  if (s.status === 'stopping') return `● stopping the watcher after the batch in flight… · ${counts}`;
  if (s.status === 'stopped') return `● watcher stopped · ${counts}`;
  const lag = s.lagMs === null ? '' : ` · lag ${seconds(s.lagMs)}`;
  const last = s.lastBatchAt === null ? ' · no batch yet' : ` · batch ${new Date(s.lastBatchAt).toISOString().slice(11, 19)}, ${seconds(now - s.lastBatchAt)} ago`;
  return `● live · ${counts}${lag}${last}${s.notice ? ` · ${s.notice}` : ''}`;
}

function seconds(ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return ms < 172_800_000 ? `${Math.round(ms / 3_600_000)} h` : `${Math.round(ms / 86_400_000)} d`;
}
