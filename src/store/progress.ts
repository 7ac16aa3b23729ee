import { startProgressLine, type ProgressLine } from '../output/progress.js';
import type { Store } from './store.js';

/**
 * Progress of long work on a store, on stderr on a terminal only (src/output/progress.ts):
 * the step, and DuckDB's own estimate of how far the running statement is and its rows.
 */
export async function startProgress(store: Store): Promise<ProgressLine | undefined> {
  if (!process.stderr.isTTY) return undefined;
  // DuckDB tracks a statement's progress only with its progress bar on; it draws nothing itself.
  await store.run(`SET enable_progress_bar = true; SET enable_progress_bar_print = false;`).catch(() => undefined);
  return startProgressLine(() => {
    const p = store.progress;
    return { share: p.percentage >= 0 ? p.percentage / 100 : -1, rows: p.rows };
    // Reading a file (ingest) or writing one (export) is one statement over its bytes: its share
    // is the step's. Other steps run several statements, whose shares say nothing of the time left.
  }, (step) => /^(reading|writing) /.test(step));
}
