/**
 * `evtrail query`: the user's SQL over the store, its rows streamed, or written to a Parquet file
 * (--out). `runQuery` returns data, handed to `show` while the store is open (the rows stream
 * from it); src/cli/commands/query.ts reads the flags and shows the data with ./render.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isJsonMode, type OutputMode } from '../output/mode.js';
import { UserError, firstLine } from '../core/errors.js';
import { macrosSqlFor } from '../store/macros.js';
import { sqlString } from '../store/sql.js';
import { Store } from '../store/store.js';
import { streamQuery, type QueryResult } from './query.js';

/** What the command line hands over (src/cli/commands/query.ts): the SQL and the flags, read. */
export interface QueryOptions {
  db: string;
  sql: string;
  /** How the answer will be shown: --json / --ndjson get exact values; --out goes with none of them. */
  mode: OutputMode;
  /** Write the result to this Parquet file instead of stdout. */
  out?: string;
  force?: boolean;
  /** `events` is only this tenant's events. */
  tenant?: string;
}

/** The rows, streamed from the open store, or (--out) the Parquet file written and its row count. */
export type QueryAnswer =
  | { kind: 'rows'; result: QueryResult }
  | { kind: 'parquet'; out: string; rows: string };

/**
 * The SQL to run: the argument, `-` for stdin, or --file. Exactly one of them (a script that
 * gives both meant something it did not say).
 */
export function querySql(arg: string | undefined, file: string | undefined, readStdin: () => string): string {
  if (arg !== undefined && file !== undefined) throw new UserError('give the SQL once: as the argument or with --file', 'e.g. evtrail query --file q.sql, or evtrail query "select 1"');
  if (file !== undefined) {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new UserError(`--file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : firstLine(error)}`, 'give a file holding the SQL, e.g. --file q.sql, or - to read it from stdin');
    }
  }
  if (arg === '-') return readStdin();
  if (arg === undefined) throw new UserError('no SQL given', 'e.g. evtrail query "select type, count(*) from events group by all", evtrail query --file q.sql, or … | evtrail query -');
  return arg;
}

/** Runs the SQL as `options` say and hands the answer to `show` before the store closes. */
export async function runQuery(options: QueryOptions, show: (answer: QueryAnswer) => Promise<void>): Promise<void> {
  if (options.out !== undefined) return writeParquet(options, show);
  const store = await Store.open(options.db, { readOnly: true });
  try {
    // --tenant: `events` is that tenant's events. The vocabulary mapping is not applied: query
    // shows the events as the source wrote them.
    // The lens is loaded only then: it reads vocabularies with zod, 0.06 CPU-s of a query's start.
    if (options.tenant !== undefined) await (await import('../store/lens.js')).applyLens(store, { vocabulary: false, tenant: options.tenant });
    await show({ kind: 'rows', result: await streamQuery(store, options.sql, { exact: isJsonMode(options.mode) }) });
  } finally {
    store.close();
  }
}

/**
 * --out FILE.parquet: DuckDB's COPY writes the result (never through JavaScript). An existing
 * file is kept unless --force; a folder that does not exist or cannot be written is the user's
 * (exit 2). Written aside and renamed into place, so a failed query leaves no half file.
 */
async function writeParquet(options: QueryOptions, show: (answer: QueryAnswer) => Promise<void>): Promise<void> {
  const { sql, out = '' } = options;
  if (!/\.parquet$/i.test(out)) throw new UserError(`--out ${out}: only Parquet is written (a .parquet file)`, 'e.g. --out result.parquet; for CSV or JSON use --csv / --json / --ndjson > file');
  if (isJsonMode(options.mode) || options.mode === 'csv') throw new UserError('--out writes a file: it goes without --json, --ndjson and --csv', 'e.g. evtrail query "select …" --out result.parquet');
  const target = path.resolve(out);
  const dir = path.dirname(target);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UserError(`--out ${out}: the folder ${dir} does not exist`, 'create it first, or give a path in an existing folder');
  if (fs.existsSync(target)) {
    if (fs.statSync(target).isDirectory()) throw new UserError(`--out ${out}: is a folder`, 'give a file name, e.g. --out result.parquet');
    if (!options.force) throw new UserError(`--out ${out}: the file exists`, 'add --force to replace it, or choose another name');
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new UserError(`--out ${out}: the folder ${dir} cannot be written`, 'choose a folder you can write to');
  }
  const body = sql.trim().replace(/;+\s*$/, '').trim();
  if (body === '') throw new UserError('no SQL given', 'e.g. evtrail query "select type, count(*) from events group by all" --out types.parquet');
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.tmp`);
  const store = await Store.open(options.db, { readOnly: true });
  try {
    await store.run(macrosSqlFor(body));
    try {
      await store.run(`COPY (${body}) TO ${sqlString(temp)} (FORMAT parquet)`);
    } catch (error) {
      throw new UserError(`SQL error: ${firstLine(error).replace(/^Failed to extract statements: /, '')}`, 'one SELECT (no ;-separated statements) for --out; evtrail query without --out shows what it returns');
    }
    fs.renameSync(temp, target);
    const [row] = await store.all(`SELECT count(*)::VARCHAR AS n FROM read_parquet(${sqlString(target)})`);
    await show({ kind: 'parquet', out, rows: String(row?.n ?? '?') });
  } finally {
    fs.rmSync(temp, { force: true });
    store.close();
  }
}
