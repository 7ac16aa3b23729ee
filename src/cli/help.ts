import type { Command } from 'commander';

/**
 * What `--help` teaches: the top-level help groups the commands by the question they answer,
 * and every command's help ends with real examples (run against the store of `evtrail demo`
 * or your own). Kept here, apart from the commands' options, so one page reads as a whole.
 *
 * An example either runs as written from the package's root (its files are in the package:
 * fixtures/, examples/, src/packs/), or names what the reader brings with `my-` (my-logs/,
 * ./my-rules, my-lobster.duckdb): test/e2e/help-examples.test.ts checks every path and runs
 * every example that needs nothing of the reader's.
 */
export const GROUPS: [heading: string, commands: string[]][] = [
  ['Start here:', ['demo', 'ui']],
  ['Getting data in:', ['ingest', 'info', 'rejects']],
  ['What was the state at T?', ['replay', 'snapshot']],
  ['Why did this order do that?', ['trace']],
  ['What broke the rules?', ['audit', 'report', 'watch']],
  ['Is the log intact?', ['verify', 'seal', 'keygen']],
  ['Is this schema change safe?', ['schema']],
  ['Anything else:', ['query', 'export', 'completion']],
];

/** Examples per command path (`schema compat`); replay, snapshot and watch carry their own. */
const EXAMPLES: Record<string, string[]> = {
  demo: ['evtrail demo                                   # the bundled trading sample into evtrail-demo.duckdb', 'evtrail demo --json | jq .audit.rules'],
  ui: [
    'evtrail ui --db evtrail-demo.duckdb',
    'evtrail ui --screen audit --db evtrail-demo.duckdb',
    'evtrail ui --watch my-logs/orders.ndjson --db live.duckdb   # follow a growing log while exploring it',
    'evtrail                                        # alone in a terminal: the explorer',
  ],
  ingest: [
    'evtrail ingest fixtures/trading-sample.ndjson --db audit.duckdb   # the bundled sample',
    'evtrail ingest my-logs/*.ndjson.gz --db audit.duckdb               # files, folders, globs, .gz',
    'evtrail ingest - --preset cloudevents < my-events.json',
    'evtrail ingest postgres://127.0.0.1/test --preset messagedb',
  ],
  info: ['evtrail info --db evtrail-demo.duckdb', 'evtrail info --json | jq .events'],
  rejects: ['evtrail rejects', 'evtrail rejects --source trading-sample --csv > rejects.csv'],
  trace: [
    'evtrail trace ord-00000006                     # an order id, event id, stream or correlation id',
    'evtrail trace ord-00000006 --dot | dot -Tsvg > trace.svg',
    'evtrail trace evt-99e3c279e7d2 --json',
    'evtrail trace --stats                          # hop latencies over the whole log',
  ],
  audit: [
    'evtrail audit                                  # every built-in rule; exit 1 on errors (--fail-on)',
    'evtrail audit --details --only order-overfill,saga-incomplete',
    'evtrail audit --explain fill-after-terminal',
    'evtrail audit --rules ./my-rules --fail-on warning --json    # your own rules beside the built-in ones',
  ],
  report: [
    'evtrail report --out audit.html',
    'evtrail report --out audit.html --trace ord-00000006 --key audit-key.pem   # signed (keygen makes the key)',
    'evtrail report --out junit.xml --fail-on error  # CI: one test case per rule',
  ],
  verify: ['evtrail verify', 'evtrail verify --source fixtures/              # the sources read again', 'evtrail verify --manifest seal.json --pubkey audit-key.pub', 'evtrail verify --report audit.html --pubkey audit-key.pub'],
  seal: ['evtrail seal --key audit-key.pem --out seal.json   # keygen makes the key', 'evtrail verify --manifest seal.json --pubkey audit-key.pub'],
  keygen: ['evtrail keygen --out audit-key                 # audit-key.pem (0600) and audit-key.pub'],
  schema: [
    'evtrail schema compat --old src/packs/trading/schemas/OrderPlaced.v1.json --new src/packs/trading/schemas/OrderPlaced.v2.json',
    'evtrail schema compat --new my-schemas/OrderPlaced.v3.json --against-log',
    'evtrail schema timeline',
  ],
  'schema compat': [
    'evtrail schema compat --old src/packs/trading/schemas/OrderPlaced.v1.json --new src/packs/trading/schemas/OrderPlaced.v2.json',
    'evtrail schema compat --registry src/packs/trading/schemas --mode FULL_TRANSITIVE',
    'evtrail schema compat --new my-schemas/OrderPlaced.v3.json --against-log',
  ],
  'schema check': ['evtrail schema check', 'evtrail schema check --registry src/packs/trading/schemas --json'],
  'schema infer': ['evtrail schema infer', 'evtrail schema infer --out inferred/'],
  'schema timeline': ['evtrail schema timeline', 'evtrail schema timeline --registry src/packs/trading/schemas --json'],
  'schema upcast': ['evtrail schema upcast --upcasters ./my-upcasters.mjs --dry-run', 'evtrail schema upcast --upcasters ./my-upcasters.mjs --dry-run --registry my-schemas/'],
  query: [
    'evtrail query "select type, count(*) as n from events group by all order by n desc"',
    'evtrail query "select status, count(*) from orders_at(\'2025-08-26 09:31\') group by all"',
    'evtrail query --file my-query.sql --ndjson | jq \'select(.seq < 5)\'   # SQL from a file (- for stdin)',
    'evtrail query "select * from events where type = \'OrderFilled\'" --out fills.parquet',
  ],
  export: [
    'evtrail export --format parquet --out archive/ --partition-by date,type',
    'evtrail export --format ndjson --out day1/ --since 2025-08-26 --until 2025-08-27',
    'evtrail ingest archive/ --db copy.duckdb        # the export back',
  ],
  completion: [
    'evtrail completion bash > ~/.local/share/bash-completion/completions/evtrail',
    'evtrail completion zsh > "${fpath[1]}/_evtrail"',
    'evtrail completion fish > ~/.config/fish/completions/evtrail.fish',
  ],
};

const pathOf = (command: Command): string => (command.parent?.parent ? `${pathOf(command.parent)} ${command.name()}` : command.name());

/** Sets the help groups and appends the examples (program built, before parsing). */
export function teach(program: Command): void {
  for (const [heading, names] of GROUPS) for (const name of names) program.commands.find((c) => c.name() === name)?.helpGroup(heading);
  // Commands not in a group (new ones) are still listed, after the groups; help among them.
  for (const c of program.commands) if (!c.helpGroup()) c.helpGroup('Anything else:');
  program.commandsGroup('Anything else:').helpCommand(true);
  const visit = (command: Command) => {
    const examples = EXAMPLES[pathOf(command)];
    if (examples) command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}`);
    command.commands.forEach(visit);
  };
  program.commands.forEach(visit);
}
