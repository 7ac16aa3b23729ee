/**
 * `evtrail info`: what the store holds. `runInfo` reads it (./info.ts `storeInfo`) and returns
 * it; ./render.ts prints it (src/cli/commands/info.ts has no flag to read but the output's).
 */
import { Store } from '../store/store.js';
import { storeInfo, type StoreInfo } from './info.js';

export async function runInfo(options: { db: string }): Promise<StoreInfo> {
  const store = await Store.open(options.db, { readOnly: true });
  try {
    return await storeInfo(store);
  } finally {
    store.close();
  }
}
