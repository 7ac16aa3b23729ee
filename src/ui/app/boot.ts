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

export function startSession(db: string, options: { tenant?: string } = {}): Session {
  mark('duckdb-loaded', sinceStart());
  const store = Store.open(db, { readOnly: true });
  // Every screen reads through the lens, as replay, trace and audit do: the store's vocabulary
  // mapping and --tenant (an unknown tenant fails here, reported as any command's error). Its
  // module (zod with it) loads while DuckDB opens the store.
  const lensModule = import('../../store/lens.js');
  const data = store.then(async (s) => {
    const { applyLens } = await lensModule;
    return AppData.open(s, await applyLens(s, options.tenant === undefined ? {} : { tenant: options.tenant }));
  });
  data.then(() => mark('store-read', sinceStart()), () => undefined);
  // Both are awaited by runUi; this only keeps an early failure from being "unhandled".
  data.catch(() => undefined);
  return { store, data };
}
