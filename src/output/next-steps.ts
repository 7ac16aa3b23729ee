/**
 * "What next" after a command's text output: a few commands to try, on stderr (so a pipe of
 * stdout never holds them), in text mode only (the commands leave them out for --json and
 * --quiet), and like all chatter only when stderr is a terminal (docs/architecture.md §3), but
 * for `always` (the demo, which is there to be read). Each line: a command and what it shows.
 */
import { terminalSafe } from './terminal.js';

export function printNextSteps(steps: [command: string, what: string][], always = false): void {
  if (steps.length === 0 || (!always && !process.stderr.isTTY)) return;
  const width = Math.max(...steps.map(([c]) => c.length));
  const lines = steps.map(([c, what], i) => `${i === 0 ? 'next: ' : '      '}${c.padEnd(width)}   ${what}`);
  process.stderr.write(terminalSafe(lines.join('\n')) + '\n');
}

/** A shell word: left bare when safe, else single-quoted (the one shell quoting: steps, reports). */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** ` --db FILE` when the store is not the default one (so a step can be pasted as it is). */
export function dbArg(db: string): string {
  return db === 'evtrail.duckdb' || db === process.env.EVTRAIL_DB ? '' : ` --db ${shellWord(db)}`;
}
