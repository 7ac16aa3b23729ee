import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { UserError } from '../../core/errors.js';
import type { Store } from '../../store/store.js';
import type { PgLayout } from './layouts.js';
import { sqlString } from '../../store/sql.js';
import { MAX_LINE_BYTES } from '../readers.js';
import type { StoreRead } from './ingest-store.js';
import { STAGE_TABLE } from './stage.js';

/** Rows per page (EVTRAIL_PG_PAGE: tests make it small to cover paging and the split). */
const pageRows = () => Number(process.env.EVTRAIL_PG_PAGE) || 50_000;

export interface PgTarget {
  url: string;
  /** host:port/database, for messages. */
  where: string;
  /** Identity of the source across runs: the URL without credentials, plus the table. */
  uri: string;
}

/**
 * Parses a postgres:// URL; the uri never carries a password. A URL without a user connects as
 * PGUSER, else the OS user (as psql does; node-postgres would send none).
 */
export function pgTarget(url: string, layout: PgLayout): PgTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`${url.replace(/:[^:@/]*@/, ':***@')} is not a valid URL`, 'e.g. postgres://user@127.0.0.1:5432/dbname');
  }
  const host = parsed.hostname || 'localhost';
  const port = parsed.port || '5432';
  const user = parsed.username ? decodeURIComponent(parsed.username) : (process.env.PGUSER || process.env.USER || safeOsUser());
  const db = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || process.env.PGDATABASE || user || '';
  const where = `${host}:${port}/${db}`;
  if (!parsed.username && user) parsed.username = encodeURIComponent(user);
  return { url: parsed.toString(), where, uri: `postgres://${where}/${layout.schema}.${layout.table}` };
}

function safeOsUser(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return undefined;
  }
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteLiteral = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** One line for what went wrong talking to the server: host, what failed, a hint. */
export function pgError(error: unknown, target: PgTarget, layout?: PgLayout): UserError {
  if (error instanceof UserError) return error;
  const e = error as { code?: string; message?: string };
  const msg = (e.message ?? String(error)).split('\n')[0] ?? '';
  const table = layout ? `${layout.schema}.${layout.table}` : '';
  switch (e.code) {
    case 'ECONNREFUSED':
      return new UserError(`PostgreSQL at ${target.where}: connection refused`, 'check that the server runs and the URL names its host and port');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UserError(`PostgreSQL at ${target.where}: unknown host`, 'check the host name in the URL');
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new UserError(`PostgreSQL at ${target.where}: unreachable (${e.code})`, 'check the host, the port and the network');
    case '28P01':
    case '28000':
      return new UserError(`PostgreSQL at ${target.where}: authentication failed (${msg})`, 'check the user and password in the URL (postgres://user:password@host/db) or PGPASSWORD');
    case '3D000':
      return new UserError(`PostgreSQL at ${target.where}: ${msg}`, 'check the database name in the URL');
    case '42P01':
    case '3F000':
      return new UserError(`PostgreSQL at ${target.where}: no table ${table}`, 'check --schema / --table, or the --preset for this store');
    case '42501':
      return new UserError(`PostgreSQL at ${target.where}: permission denied on ${table}`, 'grant the user SELECT on the table');
  }
  if (/timeout/i.test(msg)) return new UserError(`PostgreSQL at ${target.where}: connection timed out`, 'check the host, the port and the network');
  return new UserError(`PostgreSQL at ${target.where}: ${msg}`, 'check the URL, --preset, --schema and --table');
}

/**
 * Reads the rows after `checkpoint`, in position order, inside one REPEATABLE READ READ ONLY
 * transaction: every page sees one snapshot, so the read ends at the last position committed
 * when the ingest began. Pages are keyset queries (position > last one read, LIMIT n, served
 * by the position's index) whose rows the server joins into one text, `pos<US>row_to_json`
 * per line (timestamps in UTC): node-postgres then parses one value per page, not two per
 * row, and the pages go to a temp file that DuckDB reads in parallel (the stage view).
 */
export async function readPostgres(
  store: Store, target: PgTarget, layout: PgLayout, checkpoint: string | null, progress?: (message: string) => void,
): Promise<StoreRead> {
  const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: 10_000, application_name: 'evtrail' });
  // An error on an idle client (server gone) must not escape as an uncaught event.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw pgError(error, target, layout);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evtrail-pg-'));
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  let extra: pg.Client | undefined;
  let done = false;
  const BATCH = pageRows();
  try {
    const cols = await client.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`,
      [layout.schema, layout.table],
    );
    if (cols.rows.length === 0) {
      throw new UserError(
        `PostgreSQL at ${target.where}: no table ${layout.schema}.${layout.table} (where the ${layout.preset} preset reads)`,
        layout.preset === 'table' ? 'check --table (schema.name)' : 'check --schema / --table, or pass the --preset of this store (messagedb, marten, emmett, table)',
      );
    }
    const have = new Set(cols.rows.map((r) => r.column_name));
    const missing = layout.columns.filter((c) => !have.has(c));
    if (missing.length > 0) {
      throw new UserError(
        `PostgreSQL at ${target.where}: ${layout.schema}.${layout.table} has no column ${missing.join(', ')}: not a ${layout.preset} layout`,
        layout.preset === 'table' ? `columns: ${[...have].join(', ')}` : 'pass the --preset of this store (messagedb, marten, emmett, table), or --preset table with --map',
      );
    }
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET LOCAL TIME ZONE 'UTC'`);
    const pos = `t.${quoteIdent(layout.positionColumn)}`;
    const from = `${quoteIdent(layout.schema)}.${quoteIdent(layout.table)} t`;
    const settled = layout.settled && have.has(layout.settled.column) ? `AND ${layout.settled.sql}` : '';
    const after = (value: string | null) => (value === null ? settled : `AND ${pos} > ${quoteLiteral(value)} ${settled}`);
    const bounds = (await client.query<{ lo: string | null; hi: string | null }>(
      `SELECT min(${pos})::bigint::text AS lo, max(${pos})::bigint::text AS hi FROM ${from} WHERE ${pos} IS NOT NULL ${after(checkpoint)}`,
    )).rows[0]!;
    let rows = 0;
    let last: string | null = null;
    const files: string[] = [];
    if (bounds.lo !== null && bounds.hi !== null) {
      // Two connections read two halves of the position range at once, in one snapshot (the
      // second imports the first's): building the JSON text is the server's heavy part, and
      // it is single-threaded per connection.
      const lo = BigInt(bounds.lo);
      const hi = BigInt(bounds.hi);
      const ranges: [string | null, string][] = hi - lo > BigInt(2 * BATCH)
        ? [[checkpoint, String(lo + (hi - lo) / 2n)], [String(lo + (hi - lo) / 2n), String(hi)]]
        : [[checkpoint, String(hi)]];
      const readRange = async (c: pg.Client, [start, end]: [string | null, string], k: number) => {
        const file = path.join(dir, `stage-${k}.txt`);
        files.push(file);
        const handle = await fs.promises.open(file, 'w');
        try {
          let at = start;
          for (;;) {
            const r = (await c.query<{ n: number; last: string | null; text: string | null }>(`SELECT count(*)::int AS n, max(p)::text AS last,
                string_agg(p::text || chr(31) || j, chr(10) ORDER BY p) || chr(10) AS text
              FROM (SELECT ${pos}::bigint AS p, row_to_json(t)::text AS j FROM ${from}
                WHERE ${pos} IS NOT NULL ${after(at)} AND ${pos} <= ${quoteLiteral(end)} ORDER BY ${pos} LIMIT ${BATCH}) s`)).rows[0]!;
            if (r.n === 0 || r.text === null) break;
            await handle.write(r.text);
            rows += r.n;
            at = r.last;
            if (r.n < BATCH) break;
            progress?.(`reading ${target.uri}: ${rows} rows`);
          }
        } finally {
          await handle.close();
        }
      };
      const jobs = [readRange(client, ranges[0]!, 0)];
      if (ranges[1]) {
        const snapshot = (await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
        const second = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: 10_000, application_name: 'evtrail' });
        second.on('error', () => undefined);
        extra = second;
        await second.connect();
        await second.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        await second.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshot)}`);
        await second.query(`SET LOCAL TIME ZONE 'UTC'`);
        jobs.push(readRange(second, ranges[1], 1));
      }
      await Promise.all(jobs);
      last = bounds.hi;
    }
    await client.query('COMMIT');
    if (rows === 0) {
      done = true;
      return { rows: 0, last: null, cleanup };
    }
    files.sort();
    await store.run(`CREATE OR REPLACE TEMP VIEW ${STAGE_TABLE} AS SELECT pos, line FROM read_csv([${files.map(sqlString).join(', ')}],
      columns={'pos': 'BIGINT', 'line': 'VARCHAR'}, header=false, delim=E'\\x1F', quote='', escape='', auto_detect=false,
      strict_mode=false, max_line_size=${MAX_LINE_BYTES}, buffer_size=${2 * MAX_LINE_BYTES})`);
    done = true;
    return { rows, last, cleanup };
  } catch (error) {
    // Errors from the server or the connection become one line; anything else (an interrupt,
    // DuckDB) goes on as it is.
    const e = error as { code?: unknown; message?: unknown };
    if (error instanceof pg.DatabaseError || typeof e?.code === 'string' || /Connection terminated|timeout/i.test(String(e?.message))) {
      throw pgError(error, target, layout);
    }
    throw error;
  } finally {
    if (!done) cleanup();
    await extra?.end().catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
