import type { Command } from 'commander';
import type { RejectsOptions } from '../../ingest/rejects.js';
import { dbOption } from '../options.js';
import { outputMode, type OutputFlags } from '../../output/mode.js';

/** The flags as commander gives them (a type-only import loads nothing). */
type RejectsFlags = Omit<RejectsOptions, 'streamed'> & OutputFlags & { limit: string };

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
    // Loaded when the command runs, so --help loads neither zod nor DuckDB.
    const [{ z }, { parseFlags, wholeNumberFlag }, { runRejects }, { renderRejects }] = await Promise.all([
      import('zod'), import('../flags.js'), import('../../ingest/rejects.js'), import('../../ingest/rejects-render.js'),
    ]);
    const mode = outputMode(flags);
    const { limit } = parseFlags(z.object({ limit: wholeNumberFlag('--limit', { hint: 'e.g. --limit 50' }) }), flags);
    await runRejects({ db: flags.db, source: flags.source, streamed: mode === 'ndjson' || mode === 'csv' }, (result) => renderRejects(mode, result, limit));
  });
}

export type { RejectsFlags };
