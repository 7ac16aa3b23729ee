/**
 * The explorer's start, before ink: the store opened and the overview's reads started, so that
 * DuckDB (on its own threads) reads while ink and the app load on this one. Nothing here
 * imports ink or a screen.
 */
import { Store } from '../../store/store.js';
import { AppData } from './data/app-data.js';
import { mark, sinceStart } from './timings.js';

export interface Session {
  store: Promise<Store>;
  data: Promise<AppData>;
}

export function startSession(db: string): Session {
  mark('duckdb-loaded', sinceStart());
  const store = Store.open(db, { readOnly: true });
  const data = store.then((s) => AppData.open(s));
  data.then(() => mark('store-read', sinceStart()), () => undefined);
  // Both are awaited by runUi; this only keeps an early failure from being "unhandled".
  data.catch(() => undefined);
  return { store, data };
}
