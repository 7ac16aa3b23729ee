/** The app's frame: the tab bar, the status line (spinner while a query runs) and the help overlay. */
import { Box, Text } from 'ink';
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { QueryRunner } from '../data/runner.js';
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
  const keyWidth = Math.max(...rows.map((r) => r[1]!.length)) + 2;
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} width={Math.min(width, 92)} height={Math.min(height, rows.length + 4)}>
      <Text bold>keys (any key closes this)</Text>
      {rows.slice(0, Math.max(0, height - 3)).map((r, i) => (
        <Text key={i} wrap="truncate">
          <Text color="cyan">{r[1]!.padEnd(keyWidth)}</Text>
          {r[2]}
          {r[0] ? <Text dimColor>{` (${r[0]})`}</Text> : null}
        </Text>
      ))}
    </Box>
  );
}
