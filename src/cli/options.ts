import { Option, type Command } from 'commander';

/** --db, shared by every command: the store file (default ./evtrail.duckdb or $EVTRAIL_DB). */
export function dbOption(command: Command): Command {
  return command.addOption(
    new Option('--db <file>', 'the store (a DuckDB file)').env('EVTRAIL_DB').default('evtrail.duckdb'),
  );
}

export function outputOptions(command: Command, csv = true): Command {
  command.option('--json', 'print one JSON document on stdout');
  if (csv) command.option('--csv', 'print CSV on stdout');
  return command;
}

/** A repeatable option's values, in the order given (`--key a --key b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The rule-selection flags `audit` and `report` share (src/audit/plan.ts AuditFlags, plus --rules). */
export function auditOptions(command: Command): Command {
  return command
    .option('--only <ids>', 'run only these rules (comma-separated, or the option repeated)', collect)
    .option('--rules <dir>', 'also run the rules (*.sql with a header) in this folder')
    .option('--pack <ids>', 'run these packs\' rules even when the log does not speak their vocabulary', collect)
    .option('--param <rule.key=value>', 'set a rule parameter, e.g. saga-incomplete.timeout=30s (repeatable)', collect)
    .option('--since <time>', 'audit the streams with events from this time (10:00, or 2025-08-26T10:00:00Z); report violations from it')
    .option('--until <time>', '… up to this time (exclusive)');
}
