import { terminalSafe } from '../output/terminal.js';
import type { Store } from '../store/store.js';

/**
 * Progress on stderr, on a terminal only: the current step and DuckDB's own estimate of how far
 * the running statement is, redrawn in place every 200 ms.
 */
export async function startProgress(store: Store): Promise<{ step: (message: string) => void; stop: () => void } | undefined> {
  if (!process.stderr.isTTY) return undefined;
  // DuckDB tracks a statement's progress only with its progress bar on; it draws nothing itself.
  await store.run(`SET enable_progress_bar = true; SET enable_progress_bar_print = false;`).catch(() => undefined);
  let message = '';
  const started = Date.now();
  const draw = () => {
    let pct = '';
    try {
      const p = store.conn.progress;
      if (p.percentage >= 0) pct = ` ${p.percentage.toFixed(0)}%`;
    } catch {
      /* no statement running */
    }
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    // The message names the source (a file name from anywhere): shown, never obeyed.
    process.stderr.write(`\r\x1b[2K${terminalSafe(message)}${pct} (${secs}s)`);
  };
  const timer = setInterval(draw, 200);
  timer.unref();
  return {
    step(next) {
      message = next;
      draw();
    },
    stop() {
      clearInterval(timer);
      process.stderr.write('\r\x1b[2K');
    },
  };
}
