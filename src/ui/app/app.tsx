/**
 * The explorer's shell: the tab bar, the current screen, the status line and the help overlay;
 * the global keys. A screen gets the keys first (through useScreenKeys) and says whether it
 * used them; what it leaves goes to the global keys. Screens stay mounted once visited (hidden
 * when another shows), so going back finds them as they were.
 */
import { Box, Text, useApp as useInkApp, useInput } from 'ink';
import { useCallback, useEffect, useMemo, useRef, useState, type ComponentType } from 'react';
import { firstLine } from '../../core/errors.js';
import { AppContext, type AppContextValue, type KeyHandler, type ScreenParams, type ScreenProps } from './context.js';
import { HelpOverlay, LiveLine, StatusLine, TabBar } from './components/chrome.js';
import type { AppData } from './data/app-data.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { nextScreen, screenOfKey, type ScreenId } from './keys.js';
import { OverviewScreen } from './screens/overview.js';

/** Screens import ScreenProps from context.ts (importing it from here made app ↔ screens an import circle). */
export type { ScreenProps };

/**
 * The screens other than the overview load when first shown, or just after the first screen
 * (preloadScreens): their modules and what they import (replay, trace, audit, schema) are not
 * on the way to the first frame.
 */
const LOADERS: Record<Exclude<ScreenId, 'overview'>, () => Promise<ComponentType<ScreenProps>>> = {
  timeline: async () => (await import('./screens/timeline.js')).TimelineScreen,
  replay: async () => (await import('./screens/replay.js')).ReplayScreen,
  trace: async () => (await import('./screens/trace.js')).TraceScreen,
  audit: async () => (await import('./screens/audit.js')).AuditScreen,
  sql: async () => (await import('./screens/sql.js')).SqlScreen,
  schemas: async () => (await import('./screens/schemas.js')).SchemasScreen,
};
const loaded = new Map<ScreenId, ComponentType<ScreenProps>>([['overview', OverviewScreen]]);
const loading = new Map<ScreenId, Promise<void>>();

function loadScreen(id: ScreenId): Promise<void> {
  if (id === 'overview' || loaded.has(id)) return Promise.resolve();
  let p = loading.get(id);
  if (!p) {
    p = LOADERS[id]().then((view) => void loaded.set(id, view));
    loading.set(id, p);
  }
  return p;
}

/** Loads every screen's modules (after the first screen: a later switch draws at once). */
export function preloadScreens(): Promise<void> {
  return Promise.all((Object.keys(LOADERS) as ScreenId[]).map(loadScreen)).then(() => undefined);
}

function Screen({ id, ...props }: ScreenProps & { id: ScreenId }) {
  const View = loaded.get(id);
  const [, setLoaded] = useState(0);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    if (!View) loadScreen(id).then(() => setLoaded((n) => n + 1), (e: unknown) => setError(firstLine(e)));
  }, [View, id]);
  if (View) return <View {...props} />;
  return error ? <Text color="red">{error}</Text> : <Text dimColor>loading…</Text>;
}

/** How long the keys must pause before the app loads the other screens and starts background work. */
const QUIET_MS = 400;

export interface AppProps {
  data: AppData;
  initial?: ScreenId;
  /** After the first screen has drawn (the app then loads the other screens). */
  onFirstScreen?: () => void;
}

export function App({ data, initial = 'overview', onFirstScreen }: AppProps) {
  const { exit } = useInkApp();
  const { columns, rows } = useTerminalSize();
  const [screen, setScreen] = useState<ScreenId>(initial);
  const [visited, setVisited] = useState<ReadonlySet<ScreenId>>(() => new Set([initial]));
  const [params, setParams] = useState<Partial<Record<ScreenId, ScreenParams>>>({});
  const [help, setHelp] = useState(false);
  const [message, setMessage] = useState<string | undefined>();
  const handlers = useRef(new Map<ScreenId, KeyHandler>());
  const history = useRef<ScreenId[]>([]);
  const nonce = useRef(0);
  const current = useRef(screen);
  current.current = screen;

  const show = useCallback((s: ScreenId) => {
    current.current = s;
    setScreen(s);
    setVisited((v) => (v.has(s) ? v : new Set([...v, s])));
    setMessage(undefined);
  }, []);
  const go = useCallback<AppContextValue['go']>(
    (s, p) => {
      if (s !== current.current) history.current.push(current.current);
      if (p) setParams((ps) => ({ ...ps, [s]: { ...p, nonce: ++nonce.current } }));
      show(s);
    },
    [show],
  );
  const back = useCallback(() => {
    const previous = history.current.pop();
    if (previous) show(previous);
  }, [show]);
  const setKeys = useCallback((s: ScreenId, h: KeyHandler | undefined) => {
    if (h) handlers.current.set(s, h);
    else handlers.current.delete(s);
  }, []);

  // One row for the tab bar, one for the status line, and the last row left free so that ink
  // redraws in place instead of clearing a screen it has filled.
  // ui --watch takes one more row, for the live line.
  const height = Math.max(4, rows - 3 - (data.live ? 1 : 0));
  const width = Math.max(20, columns);
  // After the first frame, once the keys have paused: loading the other screens and starting the
  // background work hold this thread for a moment, and keys typed meanwhile would arrive as one
  // burst (which ink reads as pasted text, not as keys).
  const lastKey = useRef(performance.now());
  useEffect(() => {
    const timer = setInterval(() => {
      if (performance.now() - lastKey.current < QUIET_MS) return;
      clearInterval(timer);
      onFirstScreen?.();
      preloadScreens().catch(() => undefined);
    }, 20);
    return () => clearInterval(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const context = useMemo<AppContextValue>(() => ({ data, width, height, go, back, setKeys, say: setMessage }), [data, width, height, go, back, setKeys]);

  // The key handler reads the overlay's state through a ref: a key that comes before the
  // re-render that showed the overlay must still close it.
  const helpShown = useRef(help);
  helpShown.current = help;
  useInput((input, key) => {
    lastKey.current = performance.now();
    if (helpShown.current) {
      helpShown.current = false;
      setHelp(false);
      return;
    }
    if (key.escape && data.runner.cancel()) return;
    if (handlers.current.get(current.current)?.(input, key)) return;
    const target = screenOfKey(input);
    if (input === 'q') exit();
    else if (input === '?') {
      helpShown.current = true;
      setHelp(true);
    }
    else if (key.tab) show(nextScreen(current.current, key.shift ? -1 : 1));
    else if (target) show(target);
    else if (key.escape) back();
  });

  return (
    <AppContext.Provider value={context}>
      <Box flexDirection="column" width={width} height={rows - 1}>
        <TabBar current={screen} width={width} />
        <Box height={height} flexDirection="column" overflow="hidden">
          {help ? <HelpOverlay screen={screen} width={width} height={height} /> : null}
          {[...visited].map((s) => {
            return (
              <Box key={s} display={s === screen && !help ? 'flex' : 'none'} flexDirection="column" height={height}>
                <Screen id={s} active={s === screen && !help} params={params[s]} />
              </Box>
            );
          })}
        </Box>
        {data.live ? <LiveLine live={data.live} stored={data.storedEvents} subscribeStored={data.subscribeLive} width={width} /> : null}
        <StatusLine runner={data.runner} message={message} store={data.store.path} width={width} />
      </Box>
    </AppContext.Provider>
  );
}

/**
 * The shell drawn before the store is open (the tab bar, where the store is): the app takes
 * over when `boot` gives the store's data. q quits meanwhile; a failure is reported by the
 * caller (runUi), which leaves the app.
 */
export function Boot({ boot, store, ...props }: Omit<AppProps, 'data'> & { boot: Promise<AppData>; store: string }) {
  const { exit } = useInkApp();
  const { columns, rows } = useTerminalSize();
  const [data, setData] = useState<AppData | undefined>();
  useEffect(() => {
    boot.then(setData, () => undefined);
  }, [boot]);
  useInput((input) => {
    if (!data && input === 'q') exit();
  });
  if (data) return <App data={data} {...props} />;
  const width = Math.max(20, columns);
  return (
    <Box flexDirection="column" width={width} height={rows - 1}>
      <TabBar current={props.initial ?? 'overview'} width={width} />
      <Box height={Math.max(4, rows - 3)}>
        <Text dimColor wrap="truncate">{`opening ${store}…`}</Text>
      </Box>
      <Text dimColor wrap="truncate">q quit</Text>
    </Box>
  );
}
