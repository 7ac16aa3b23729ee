import fs from 'node:fs';
import type { Command } from 'commander';
import type { QueryOptions } from '../../query/run.js';
import { dbOption } from '../options.js';
import { outputMode, type OutputFlags } from '../../output/mode.js';

/** The flags as commander gives them (a type-only import loads nothing). */
type QueryFlags = Omit<QueryOptions, 'sql' | 'mode'> & OutputFlags & { limit: string; file?: string };

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
    // Loaded when the command runs, so --help loads no DuckDB. Its one numeric flag is read by
    // core/flags.ts directly (the reader parseFlags' schemas use, same message and hint):
    // loading zod for it cost each query 0.06 CPU-s of a 0.3 s budget (issue 21).
    const [{ wholeNumber }, { runQuery, querySql }, { renderQuery }] = await Promise.all([
      import('../../core/flags.js'), import('../../query/run.js'), import('../../query/render.js'),
    ]);
    // The SQL first, then the flags: a missing or doubled SQL is the first thing to say.
    const text = querySql(sql, flags.file, () => fs.readFileSync(0, 'utf8'));
    const mode = outputMode(flags);
    const limit = wholeNumber('--limit', flags.limit, { hint: 'e.g. --limit 50' });
    await runQuery({ db: flags.db, sql: text, mode, out: flags.out, force: flags.force, tenant: flags.tenant }, (answer) => renderQuery(mode, answer, limit));
  });
}

export type { QueryFlags };
