/**
 * Progress on long work: one line on stderr, redrawn in place, on a terminal only (never in a
 * pipe; the commands also leave it out for --quiet and --json). It says the step, how far the
 * running statement is (DuckDB's own estimate: for a file it reads, the share of its bytes),
 * the rows so far and their rate, and the time left when the share is known.
 */
import { terminalSafe } from './terminal.js';
import { formatCount } from './format-count.js';

/** How far the running statement is: a share from 0 to 1 (or -1: not known) and its rows so far. */
export interface Progress {
  share: number;
  rows: number;
}

export interface ProgressLine {
  step: (message: string) => void;
  stop: () => void;
}

/** The line a step shows at `elapsedMs` into it (exported for tests). */
export function progressText(message: string, p: Progress | undefined, stepMs: number, totalMs: number, estimate = true): string {
  const parts = [message];
  if (p && p.share > 0 && p.share <= 1) parts.push(`${(p.share * 100).toFixed(0)}%`);
  // DuckDB counts some readers' rows in blocks (a JSON file: a few dozen): a count that small says nothing.
  if (p && p.rows >= 1000) {
    parts.push(`${formatCount(p.rows)} rows`);
    if (stepMs >= 500) parts.push(`${formatCount(Math.round((p.rows * 1000) / stepMs))} rows/s`);
  }
  // Time left only where one statement is the step (reading a file: the share of its bytes
  // read), and once the estimate has something to go on (a second in, a share measured). the estimate has something to go on (a second in, a share measured).
  if (estimate && p && p.share >= 0.01 && p.share < 0.995 && stepMs >= 1000) parts.push(`~${seconds((stepMs * (1 - p.share)) / p.share)} left`);
  parts.push(seconds(totalMs));
  return parts.join(' · ');
}

const seconds = (ms: number): string => (ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s` : `${(ms / 1000).toFixed(1)}s`);

/**
 * Starts the line (undefined when stderr is no terminal): `poll` reads how far the running
 * statement is; `estimates(step)` says whether that statement is the whole step (time left).
 */
export function startProgressLine(poll: () => Progress | undefined, estimates: (step: string) => boolean = () => true): ProgressLine | undefined {
  if (!process.stderr.isTTY) return undefined;
  let message = '';
  const started = Date.now();
  let stepStarted = started;
  const draw = () => {
    let p: Progress | undefined;
    try {
      p = poll();
    } catch {
      /* no statement running */
    }
    const now = Date.now();
    const width = process.stderr.columns || 80;
    // The message names a source (a file name from anywhere): shown, never obeyed; one line, never wrapped.
    const text = [...terminalSafe(progressText(message, p, now - stepStarted, now - started, estimates(message)))];
    process.stderr.write(`\r\x1b[2K${text.length >= width ? text.slice(0, width - 2).join('') + '…' : text.join('')}`);
  };
  const timer = setInterval(draw, 200);
  timer.unref();
  return {
    step(next) {
      if (next !== message) stepStarted = Date.now();
      message = next;
      draw();
    },
    stop() {
      clearInterval(timer);
      process.stderr.write('\r\x1b[2K');
    },
  };
}
