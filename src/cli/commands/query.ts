import fs from 'node:fs';
import type { Command } from 'commander';
import { dbOption } from '../options.js';
import { outputMode } from '../../output/mode.js';

interface QueryFlags {
  db: string;
  json?: boolean;
  ndjson?: boolean;
  csv?: boolean;
  limit: string;
  tenant?: string;
  file?: string;
  out?: string;
  force?: boolean;
}

export function registerQuery(program: Command): void {
  const command = program
    .command('query')
    .description('run SQL over the store (tables: events, sources, rejects, ingests; replay\'s projections as table functions: orders_at(time), … see replay --help)')
    .argument('[sql]', 'the SQL, e.g. "select type, count(*) from events group by all"; - reads it from stdin')
    .option('--file <file>', 'read the SQL from this file')
    .option('--json', 'print an array of row objects (numbers exact, times RFC 3339: docs/json/README.md)')
    .option('--ndjson', 'print one JSON object per row, streamed')
    .option('--csv', 'print CSV')
    .option('--tenant <id>', "events is only this tenant's events (Marten's tenant_id, or tenant / tenantId in meta)")
    .option('--out <file.parquet>', 'write the result to a Parquet file (DuckDB COPY)')
    .option('--force', 'with --out: replace an existing file')
    .option('--limit <n>', 'rows shown in a terminal or as text (--json, --ndjson and --csv print all)', '1000')
  dbOption(command).action(async (sql: string | undefined, flags: QueryFlags) => {
    const { runQueryCommand, querySql } = await import('../../query/query-command.js');
    const text = querySql(sql, flags.file, () => fs.readFileSync(0, 'utf8'));
    await runQueryCommand(text, { ...flags, mode: outputMode(flags) });
  });
}

export type { QueryFlags };
