import { Option, type Command } from 'commander';
import type { IngestFlags } from '../../ingest/run-ingest.js';
import { collect, dbOption } from '../options.js';
import { outputMode } from '../../output/mode.js';

export function registerIngest(program: Command): void {
  const command = program
    .command('ingest')
    .description('read event logs into the store: files, globs, folders, - for stdin, postgres://, nats://')
    .argument('<source...>', 'files, globs, folders, - for standard input, or one event store URL (postgres://…, nats://…)')
    .addOption(new Option('--format <format>', 'ndjson, json, csv or parquet (default: from the extension or the content)'))
    .option('--preset <name>', 'files: canonical, cloudevents or lobster (default: canonical); postgres://: messagedb, marten, emmett or table; nats://: canonical or cloudevents')
    .option('--map <field=path>', 'map an envelope field by hand: a path (id=event.uuid, id=$[1][0]), none (absent: id, ts), or sql:EXPR (computed); repeatable', collect, [])
    .option('--each <path>', 'each element of the array at this path is an event ($ in --map is the element, $frame the record); repeatable', collect, [])
    .option('--skip <condition>', 'skip records this SQL condition holds for, e.g. "$.event = \'info\'" (counted, not rejected)')
    .option('--date <YYYY-MM-DD>', 'trading date for LOBSTER files whose name does not carry it')
    .option('--symbol <ticker>', 'ticker for LOBSTER files whose name does not carry it')
    .option('--tz <zone>', 'the exchange\'s time zone, which LOBSTER times are read in (default: America/New_York, NASDAQ\'s)')
    .option('--schema <name>', 'postgres://: the schema of the store\'s table (default: the preset\'s)')
    .option('--table <[schema.]name>', 'postgres://: the table or view to read (--preset table)')
    .option('--stream <name>', 'nats://: the JetStream stream')
    .option('--subject <filter>', 'nats://: only messages on these subjects, e.g. \'orders.>\'')
    .option('--since <time>', 'nats://: start at this time (ISO 8601) instead of the stream\'s start')
    .option('--strict', 'fail, leaving the store unchanged, if any record is rejected')
    .option('--config <file>', 'ingest settings (default: ./evtrail.config.json when present)')
    .option('--json', 'print the summary as JSON')
    .option('-q, --quiet', 'no progress on stderr');
  dbOption(command).action(async (sources: string[], flags: IngestFlags) => {
    // Loaded when the command runs, so --help loads no DuckDB. No zod: every ingest flag has a
    // twin in evtrail.config.json, so prepareIngest (run-ingest.ts) checks a flag and its
    // config value in one place, before the store is opened.
    const [{ runIngest, lateInterrupt }, { renderIngest }] = await Promise.all([import('../../ingest/run-ingest.js'), import('../../ingest/render.js')]);
    const mode = outputMode(flags);
    const answer = await runIngest(sources, { ...flags, progress: !flags.quiet && mode !== 'json' });
    await renderIngest(mode, answer, !flags.quiet);
    const late = lateInterrupt(answer);
    if (late) throw late;
  });
}

