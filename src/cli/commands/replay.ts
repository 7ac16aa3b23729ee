import type { Command } from 'commander';
import type { ReplayOptions } from '../../replay/replay.js';
import { dbOption } from '../options.js';
import { outputMode, type OutputFlags } from '../../output/mode.js';

/** The flags as commander gives them: the service's options as text, and the output flags. */
type ReplayFlags = ReplayOptions & OutputFlags & { limit: string };

export function registerReplay(program: Command): void {
  const command = program
    .command('replay')
    .description('the state of a projection as of any point of the log: time, relative time or seq')
    .option('--at <time>', 'where to stop: ISO time (2025-08-26T10:31:05.123456Z), time of day on the store\'s day (10:31), seconds after midnight (34500.5), +5m / end-30s from the first / last event, or seq:N (default: the whole log); without an offset, a LOBSTER store\'s times are the exchange\'s (New York), others UTC')
    .option('--projection <name>', 'streams, orders, positions, book (LOBSTER logs), or a module exporting { name, initialState, evolve, keyOf? } (./my-projection.mjs)', 'streams')
    .option('--key <key>', 'only this entity (an order id, a stream, an account; a custom projection\'s key)')
    .option('--diff <time>', 'what changed from --at to this point (same forms as --at)')
    .option('--compare <module>', 'replay this other version of the --projection module too and diff their states entity by entity (added, removed, changed fields)')
    .option('--upcasters <module>', 'upcast every event before a custom projection: export default { <Type>: { <fromVersion>: (data, event) => newData } } (as schema upcast)')
    .option('--json', 'print { at, projection, rows } (all rows; afterLastEvent when --at is past the log\'s end)')
    .option('--ndjson', 'print one JSON object per row, streamed (all rows)')
    .option('--csv', 'print CSV (all rows)')
    .option('--limit <n>', 'rows shown in a terminal or as text (--json, --ndjson and --csv print all)', '200')
    .option('--symbol <symbol>', 'book: only this symbol')
    .option('--levels <n>', 'book: the top N levels per side (default: every level it knows)')
    .option('--seed-book <file:row>', 'book: start from row ROW of a LOBSTER orderbook file (the book after message ROW), replay the messages after it, and report where the file and the log disagree; any file name (paired with the store\'s LOBSTER message file, of --symbol)')
    .option('--levels-in-file <n>', 'book with --seed-book: the N of the level-N LOBSTER pair, when the file name does not say it (..._orderbook_N.csv)')
    .option('--tenant <id>', "only this tenant's events (Marten's tenant_id, or tenant / tenantId in meta)")
    .option('--no-snapshots', 'replay from the first event even when a snapshot (evtrail snapshot) could serve')
    .addHelpText('after', `
Examples:
  evtrail replay --at 2025-08-26T09:31:05.123456Z --projection orders
  evtrail replay --at seq:200 --projection positions --json
  evtrail replay --at 09:31:49 --projection orders --key ord-00000037
  evtrail replay --at 09:31 --diff 09:32 --projection orders
  evtrail replay --at 34500.5 --projection book --symbol AMZN --levels 5 --db my-lobster.duckdb
  evtrail replay --at 34500.5 --projection book --seed-book my-lobster/AMZN_2012-06-21_34200000_57600000_orderbook_1.csv:100 --db my-lobster.duckdb
  evtrail replay --at end-1m --projection ./my-projection.mjs
  evtrail replay --projection ./my-v2.mjs --compare ./my-v1.mjs   # what v2 does differently
  evtrail replay --projection ./my-projection.ts --upcasters ./my-upcasters.mjs

A .ts module loads as it is on Node >= 23.6; on older Node evtrail compiles it (types removed,
not checked) with the TypeScript compiler installed in its project.
--upcasters applies to custom projections only (the built-ins are SQL over the stored events).

The built-ins are also SQL table functions: evtrail query "select status, count(*) from orders_at('2025-08-26 09:31') group by all"
(orders_at, orders_at_seq, positions_at, positions_at_seq, streams_at, streams_at_seq, book_at, book_at_seq).`);
  dbOption(command).action(async (flags: ReplayFlags) => {
    // Loaded when the command runs, so --help loads neither zod nor DuckDB.
    const [{ z }, { parseFlags, valueFlag, wholeNumberFlag }, { runReplay }, { renderReplay }] = await Promise.all([
      import('zod'), import('../flags.js'), import('../../replay/replay.js'), import('../../replay/render.js'),
    ]);
    const mode = outputMode(flags);
    const { limit, key } = parseFlags(z.object({
      limit: wholeNumberFlag('--limit', { hint: 'e.g. --limit 50' }),
      key: valueFlag('--key', 'e.g. --key ord-00000042').optional(),
    }), flags);
    await runReplay({ ...flags, ...(key === undefined ? {} : { key }) }, (result) => renderReplay(mode, result, limit));
  });
}
