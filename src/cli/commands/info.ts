import type { Command } from 'commander';
import { dbOption } from '../options.js';
import { outputMode, type OutputFlags } from '../../output/mode.js';

export function registerInfo(program: Command): void {
  const command = program
    .command('info')
    .description('what the store holds: sources, counts, time range, types, streams, rejects')
    .option('--json', 'print one JSON document')
    .option('--csv', 'print each table as CSV, the tables separated by an empty line');
  // No flag takes a value to check, so no zod; DuckDB is loaded when the command runs.
  dbOption(command).action(async (flags: OutputFlags & { db: string }) => {
    const [{ runInfo }, { renderInfo }] = await Promise.all([import('../../info/run-info.js'), import('../../info/render.js')]);
    await renderInfo(outputMode(flags), await runInfo({ db: flags.db }), flags.db);
  });
}
