/**
 * The explorer's shell: the tab bar, the current screen, the status line and the help overlay;
 * the global keys. A screen gets the keys first (through useScreenKeys) and says whether it
 * used them; what it leaves goes to the global keys. Screens stay mounted once visited (hidden
 * when another shows), so going back finds them as they were.
 */
import { Box, useApp as useInkApp, useInput } from 'ink';
import { useCallback, useMemo, useRef, useState, type ReactNode } from 'react';
import { AppContext, type AppContextValue, type KeyHandler, type ScreenParams } from './context.js';
import { HelpOverlay, StatusLine, TabBar } from './components/chrome.js';
import type { AppData } from './data/app-data.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { nextScreen, screenOfKey, type ScreenId } from './keys.js';
import { AuditScreen } from './screens/audit.js';
import { OverviewScreen } from './screens/overview.js';
import { ReplayScreen } from './screens/replay.js';
import { SchemasScreen } from './screens/schemas.js';
import { SqlScreen } from './screens/sql.js';
import { TimelineScreen } from './screens/timeline.js';
import { TraceScreen } from './screens/trace.js';

export interface ScreenProps {
  active: boolean;
  params: ScreenParams | undefined;
}

const SCREEN_VIEWS: Record<ScreenId, (p: ScreenProps) => ReactNode> = {
  overview: OverviewScreen,
  timeline: TimelineScreen,
  replay: ReplayScreen,
  trace: TraceScreen,
  audit: AuditScreen,
  sql: SqlScreen,
  schemas: SchemasScreen,
};

export function App({ data, initial = 'overview' }: { data: AppData; initial?: ScreenId }) {
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
  const height = Math.max(4, rows - 3);
  const width = Math.max(20, columns);
  const context = useMemo<AppContextValue>(() => ({ data, width, height, go, back, setKeys, say: setMessage }), [data, width, height, go, back, setKeys]);

  // The key handler reads the overlay's state through a ref: a key that comes before the
  // re-render that showed the overlay must still close it.
  const helpShown = useRef(help);
  helpShown.current = help;
  useInput((input, key) => {
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
            const View = SCREEN_VIEWS[s];
            return (
              <Box key={s} display={s === screen && !help ? 'flex' : 'none'} flexDirection="column" height={height}>
                <View active={s === screen && !help} params={params[s]} />
              </Box>
            );
          })}
        </Box>
        <StatusLine runner={data.runner} message={message} store={data.store.path} width={width} />
      </Box>
    </AppContext.Provider>
  );
}
