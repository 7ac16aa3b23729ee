import type { Command } from 'commander';
import type { WatchFlags } from '../../watch/watch-command.js';
import { collect, dbOption } from '../options.js';

export function registerWatch(program: Command): void {
  const command = program
    .command('watch')
    .description('follow growing files or an event store into the store, auditing each batch: one line per new violation')
    .argument('<source...>', 'log files (followed as they grow), or one event store URL (postgres://…, nats://…)')
    .option('--preset <name>', 'as for ingest: canonical, cloudevents, lobster; messagedb, marten, emmett, table; nats: canonical or cloudevents')
    .option('--format <format>', 'as for ingest: ndjson or csv (files that grow)')
    .option('--map <field=path>', 'as for ingest (repeatable)', collect, [])
    .option('--config <file>', 'ingest settings (default: ./evtrail.config.json when present)')
    .option('--schema <name>', 'postgres://: the schema of the store\'s table')
    .option('--table <[schema.]name>', 'postgres://: the table or view to read (--preset table)')
    .option('--stream <name>', 'nats://: the JetStream stream')
    .option('--subject <filter>', 'nats://: only messages on these subjects')
    .option('--only <ids>', 'raise only these rules (comma-separated, or repeated)', collect)
    .option('--rules <dir>', 'also run the rules (*.sql with a header) in this folder')
    .option('--pack <ids>', 'run these packs\' rules even when the log does not speak their vocabulary', collect)
    .option('--param <rule.key=value>', 'set a rule parameter (repeatable)', collect)
    .option('--json', 'alerts as NDJSON on stdout (one object per line), health as JSON lines on stderr')
    .option('--exec <command>', 'run this shell command once per alert, the alert as JSON on its stdin')
    .option('--interval <duration>', 'how often to look for new events when there were none', '250ms')
    .option('--health-every <duration>', 'a health line on stderr at most this often', '5s')
    .option('--stop-after <duration>', 'stop once nothing new has come for this long (default: run until Ctrl-C)')
    .option('--clock <clock>', 'what a timeout (a stuck saga) and --settle are measured against: live (the log\'s end, running on with the wall clock while nothing comes), log (the log\'s end only, as audit), wall', 'live')
    .option('--settle <[rule=]duration>', 'how long a finding that a later event can withdraw (compensation-missing: 2s) must hold, on --clock, before it is raised (repeatable)', collect)
    .addHelpText('after', `
Examples:
  evtrail watch my-logs/orders.ndjson --db live.duckdb
  evtrail watch postgres://127.0.0.1/test --preset messagedb --db live.duckdb --json
  evtrail watch nats://127.0.0.1:4222 --stream ORDERS --db live.duckdb --exec './my-pager.sh'

A watched store is the store ingest makes of the same events; alerts are kept in it
(table watch_alerts), so a restart raises nothing twice and misses nothing.`);
  dbOption(command).action(async (sources: string[], flags: WatchFlags) => {
    const { runWatchCommand } = await import('../../watch/watch-command.js');
    await runWatchCommand(sources, flags);
  });
}
