import type { Command } from 'commander';
import { dbOption } from '../options.js';
import { outputMode } from '../../output/mode.js';

interface QueryFlags {
  db: string;
  json?: boolean;
  csv?: boolean;
  limit: string;
  tenant?: string;
}

export function registerQuery(program: Command): void {
  const command = program
    .command('query')
    .description('run SQL over the store (tables: events, sources, rejects, ingests)')
    .argument('<sql>', 'the SQL, e.g. "select type, count(*) from events group by all"')
    .option('--json', 'print an array of row objects')
    .option('--csv', 'print CSV')
    .option('--tenant <id>', "events is only this tenant's events (Marten's tenant_id, or tenant / tenantId in meta)")
    .option('--limit <n>', 'rows shown in a terminal or as text (--json and --csv print all)', '1000');
  dbOption(command).action(async (sql: string, flags: QueryFlags) => {
    const { runQueryCommand } = await import('../../query/query-command.js');
    await runQueryCommand(sql, { ...flags, mode: outputMode(flags) });
  });
}

export type { QueryFlags };
