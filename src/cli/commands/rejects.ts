import type { Command } from 'commander';
import { dbOption } from '../options.js';
import { outputMode } from '../../output/mode.js';

interface RejectsFlags {
  db: string;
  json?: boolean;
  ndjson?: boolean;
  csv?: boolean;
  source?: string;
  limit: string;
}

export function registerRejects(program: Command): void {
  const command = program
    .command('rejects')
    .description('the dead-letter rows: what ingest could not read, with source, line and reason')
    .option('--source <text>', 'only sources whose path contains this text')
    .option('--json', 'print an array of reject objects (all of them)')
    .option('--ndjson', 'print one reject object per line, streamed (all of them)')
    .option('--csv', 'print CSV (all of them), e.g. to hand back to whoever produced the log')
    .option('--limit <n>', 'rows shown in a terminal or as text', '200');
  dbOption(command).action(async (flags: RejectsFlags) => {
    const { runRejects } = await import('../../ingest/rejects.js');
    await runRejects({ ...flags, mode: outputMode(flags) });
  });
}

export type { RejectsFlags };
