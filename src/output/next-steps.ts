/**
 * "What next" after a command's text output: a few commands to try, on stderr (so a pipe of
 * stdout never holds them), in text mode only (the commands leave them out for --json and
 * --quiet). Each line: a command and what it shows.
 */
import { terminalSafe } from './terminal.js';

export function printNextSteps(steps: [command: string, what: string][]): void {
  if (steps.length === 0) return;
  const width = Math.max(...steps.map(([c]) => c.length));
  const lines = steps.map(([c, what], i) => `${i === 0 ? 'next: ' : '      '}${c.padEnd(width)}   ${what}`);
  process.stderr.write(terminalSafe(lines.join('\n')) + '\n');
}

/** ` --db FILE` when the store is not the default one (so a step can be pasted as it is). */
export function dbArg(db: string): string {
  return db === 'evtrail.duckdb' || db === process.env.EVTRAIL_DB ? '' : ` --db ${/^[\w./-]+$/.test(db) ? db : `'${db.replaceAll("'", "'\\''")}'`}`;
}
