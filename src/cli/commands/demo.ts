import type { Command } from 'commander';
import { outputMode } from '../../output/mode.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('ingest the bundled sample trading log into a fresh store and show what evtrail finds')
    .option('--db <file>', 'where to write the demo store', 'evtrail-demo.duckdb')
    .option('--json', 'print the findings as JSON')
    .action(async (flags: { db: string; json?: boolean }) => {
      const { runDemo } = await import('../../demo/demo.js');
      await runDemo(flags.db, outputMode(flags));
    });
}
