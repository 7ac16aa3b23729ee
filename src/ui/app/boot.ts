/**
 * The explorer's start, before ink: the store opened and the overview's reads started, so that
 * DuckDB (on its own threads) reads while ink and the app load on this one. Nothing here
 * imports ink or a screen.
 */
import { Store } from '../../store/store.js';
import type { WatchEnd, WatchSession, WatchSetup } from '../../watch/session.js';
import { AppData } from './data/app-data.js';
import { LiveFeed } from './data/live.js';
import { mark, sinceStart } from './timings.js';

export interface Session {
  /** What the screens read (with --watch: a reader beside the watcher's writer). */
  store: Promise<Store>;
  data: Promise<AppData>;
  /** `ui --watch`: the watcher running in this process, its loop's end, and what it says. */
  live?: { watch: WatchSession; feed: LiveFeed; end: Promise<WatchEnd> };
}

export function startSession(db: string, options: { tenant?: string } = {}): Session {
  mark('duckdb-loaded', sinceStart());
  return readSession(Store.open(db, { readOnly: true }), options);
}

/**
 * `ui --watch`: the watcher opened first (flags checked, store created when new: its errors are
 * any command's, before anything is drawn), its loop started, and the screens reading through a
 * second connection to the same DuckDB instance (Store.reader).
 */
export async function startLiveSession(sources: string[], setup: WatchSetup, options: { tenant?: string } = {}): Promise<Session> {
  // The watcher's modules (ingest, the audit catalog) load only for --watch.
  const { openWatch } = await import('../../watch/session.js');
  const watch = await openWatch(sources, setup);
  const feed = new LiveFeed(watch.rules);
  let reader: Store;
  try {
    reader = await watch.store.reader();
  } catch (error) {
    await watch.close();
    throw error;
  }
  const session = readSession(Promise.resolve(reader), options, feed);
  const end = watch.start({ alert: (a) => feed.alert(a), batch: (b) => feed.batch(b), notice: (m) => feed.notice(m) });
  end.then((e) => feed.ended(e), () => undefined);
  return { ...session, live: { watch, feed, end } };
}

function readSession(store: Promise<Store>, options: { tenant?: string }, live?: LiveFeed): Session {
  // Every screen reads through the lens, as replay, trace and audit do: the store's vocabulary
  // mapping and --tenant (an unknown tenant fails here, reported as any command's error). Its
  // module (zod with it) loads while DuckDB opens the store.
  const lensModule = import('../../store/lens.js');
  const data = store.then(async (s) => {
    const { applyLens } = await lensModule;
    return AppData.open(s, await applyLens(s, options.tenant === undefined ? {} : { tenant: options.tenant }), live);
  });
  data.then(() => mark('store-read', sinceStart()), () => undefined);
  // Both are awaited by runUi; this only keeps an early failure from being "unhandled".
  data.catch(() => undefined);
  return { store, data };
}
