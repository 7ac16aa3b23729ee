import type { Command } from 'commander';
import type { ExportCommandFlags } from '../../export/export-command.js';
import { collect, dbOption } from '../options.js';
import { outputMode } from '../../output/mode.js';

// The flags' type lives with the command's service (less the output mode); a type-only import loads nothing.
export type ExportFlags = Omit<ExportCommandFlags, 'mode'> & { json?: boolean };

export function registerExport(program: Command): void {
  const command = program
    .command('export')
    .description('write the events to NDJSON or (hive-partitioned) Parquet with a manifest of file hashes; evtrail ingest DIR reads it back')
    .option('--format <format>', 'ndjson or parquet')
    .option('--out <dir>', 'the folder to write (new or empty; written aside and renamed into place)')
    .option('--partition-by <columns>', 'hive partitions: date, hour, type, source (comma-separated, e.g. date,type)', collect)
    .option('--since <time>', 'only events from this time (2025-08-26T10:00:00Z, 10:00, +5m, seq:N)')
    .option('--until <time>', '… up to this time (exclusive)')
    .option('--force', 'replace an earlier export in --out')
    .option('--verify', 'recompute the hash chain from the events (as evtrail verify) and refuse a store that does not match it; by default the manifest records the head the store kept')
    .option('--json', 'print one JSON document on stdout');
  dbOption(command).action(async (flags: ExportFlags) => {
    const { runExportCommand } = await import('../../export/export-command.js');
    await runExportCommand({ ...flags, mode: outputMode(flags) });
  });
}
