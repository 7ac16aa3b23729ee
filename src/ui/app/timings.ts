/**
 * EVTRAIL_UI_TIMINGS=FILE: the app appends `{"event", "ms"}` lines when a screen has rendered
 * the data it waited for (bench/ui.bench.mjs reads them). Nothing is written without it.
 */
import fs from 'node:fs';

export function mark(event: string, ms: number): void {
  const file = process.env.EVTRAIL_UI_TIMINGS;
  if (!file) return;
  try {
    fs.appendFileSync(file, JSON.stringify({ event, ms: Math.round(ms * 10) / 10 }) + '\n');
  } catch {
    /* a timing that cannot be written is not worth stopping the app for */
  }
}

/** Milliseconds since the process started (Node's performance clock starts with it). */
export const sinceStart = (): number => performance.now();
