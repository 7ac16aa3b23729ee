import type { Command } from 'commander';
import type { WatchOptions } from '../../watch/run-watch.js';
import { dbOption } from '../options.js';
import { watchOptions } from '../watch-flags.js';

/** The flags as commander gives them (a type-only import loads nothing). */
type WatchFlags = Omit<WatchOptions, 'intervalMs' | 'clock' | 'settle' | 'stopAfterIdleMs'> & {
  json?: boolean;
  interval: string;
  healthEvery: string;
  stopAfter?: string;
  clock: string;
  settle?: string[];
};

export function registerWatch(program: Command): void {
  const command = watchOptions(
    program
      .command('watch')
      .description('follow growing files or an event store into the store, auditing each batch: one line per new violation')
      .argument('<source...>', 'log files (followed as they grow), or one event store URL (postgres://…, nats://…)'),
    false,
  )
    .option('--json', 'alerts as NDJSON on stdout (one object per line), health as JSON lines on stderr')
    .option('--exec <command>', 'run this shell command once per alert, the alert as JSON on its stdin')
    .option('--health-every <duration>', 'a health line on stderr at most this often', '5s')
    .option('--stop-after <duration>', 'stop once nothing new has come for this long (default: run until Ctrl-C)')
    .addHelpText('after', `
Examples:
  evtrail watch my-logs/orders.ndjson --db live.duckdb
  evtrail watch postgres://127.0.0.1/test --preset messagedb --db live.duckdb --json
  evtrail watch nats://127.0.0.1:4222 --stream ORDERS --db live.duckdb --exec './my-pager.sh'

A watched store is the store ingest makes of the same events; alerts are kept in it
(table watch_alerts), so a restart raises nothing twice and misses nothing.`);
  dbOption(command).action(async (sources: string[], flags: WatchFlags) => {
    // Loaded when the command runs, so --help loads neither zod nor DuckDB.
    const [{ parseFlags }, { watchCommandSchema }, { runWatch }, render] = await Promise.all([
      import('../flags.js'), import('../watch-schema.js'), import('../../watch/run-watch.js'), import('../../watch/render.js'),
    ]);
    const { interval, healthEvery, stopAfter, clock, settle } = parseFlags(watchCommandSchema, flags);
    const json = flags.json ?? false;
    const run = await runWatch(sources, { ...flags, intervalMs: interval, clock, settle, stopAfterIdleMs: stopAfter }, () =>
      render.watchOutput({ json, healthEveryMs: healthEvery, sources, db: flags.db }),
    );
    const interrupted = render.watchStopped(json, run, flags.stopAfter);
    if (interrupted) throw interrupted;
  });
}
