import type { Command } from 'commander';
import { collect, dbOption } from '../options.js';
import { outputMode, type OutputFlags } from '../../output/mode.js';

/** The flags as commander gives them. */
export interface ExportFlags extends OutputFlags {
  db: string;
  format?: string;
  out?: string;
  partitionBy?: string[];
  since?: string;
  until?: string;
  force?: boolean;
  verify?: boolean;
}

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
    // Loaded when the command runs, so --help loads neither zod nor DuckDB.
    const [{ z }, { parseFlags, flagOf }, { parseExportFormat, parseOut, parsePartitionBy }, { runExport }, { renderExport }] = await Promise.all([
      import('zod'), import('../flags.js'), import('../../export/plan.js'), import('../../export/run-export.js'), import('../../export/render.js'),
    ]);
    const mode = outputMode(flags);
    // Checked before the store is opened, in this order; --since / --until need the store's bounds, so the export reads them.
    const { format, partitionBy, out } = parseFlags(z.object({
      format: flagOf(z.string().optional(), parseExportFormat),
      partitionBy: flagOf(z.array(z.string()).optional(), parsePartitionBy),
      out: flagOf(z.string().optional(), parseOut),
    }), flags);
    const result = await runExport({ db: flags.db, format, out, partitionBy, since: flags.since, until: flags.until, force: flags.force, verify: flags.verify, progress: mode !== 'json' });
    await renderExport(mode, result);
  });
}
