import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { UserError } from '../../core/errors.js';
import type { Store } from '../../store/store.js';
import { isFileSystemError, makeTempDir } from '../../store/temp-dir.js';
import type { PgLayout } from './layouts.js';
// PostgreSQL (standard_conforming_strings, on since 9.1) quotes names and strings as DuckDB does.
import { sqlIdent, sqlString } from '../../store/sql.js';
import { MAX_LINE_BYTES } from '../readers.js';
import type { RecordColumn } from '../mapping.js';
import type { ReadFrom, StoreRead } from './ingest-store.js';
import { CopyOutToFile } from './pg-copy-out.js';
import { STAGE_TABLE } from './stage.js';

/**
 * Above twice this many rows the read is split over two connections (EVTRAIL_PG_PAGE: tests
 * make it small to cover the split).
 */
const splitRows = () => Number(process.env.EVTRAIL_PG_PAGE) || 50_000;

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


const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint']);
const NUMBER_TYPES = new Set([...INTEGER_TYPES, 'numeric', 'real', 'double precision']);
const STRING_TYPES = new Set(['text', 'character varying', 'character', 'uuid', 'name', '"char"', 'citext']);

/**
 * How a column travels from PostgreSQL to the mapping: the SELECT-list expression of its text
 * for the COPY, and the kind of that text (mapping.ts RecordColumn): the value's own text for
 * text-like types, times as their JSON text (ISO 8601, as row_to_json writes them), numbers in
 * decimal, json/jsonb as they are, anything else (booleans, arrays, composites) through to_json.
 */
export function pgColumn(name: string, dataType: string, udtName = ''): { sql: string; column: Omit<RecordColumn, 'stage'> } {
  const col = `t.${sqlIdent(name)}`;
  // jsonb keeps the last of two equal keys; json keeps its text as written (map-sql.ts looks in it for a key twice).
  if (dataType === 'json' || dataType === 'jsonb') return { sql: `${col}::text`, column: { name, kind: 'json', ...(dataType === 'json' ? { asWritten: true } : {}) } };
  if (NUMBER_TYPES.has(dataType)) return { sql: `${col}::text`, column: { name, kind: 'number' } };
  if (STRING_TYPES.has(dataType) || (dataType === 'USER-DEFINED' && udtName === 'citext')) return { sql: `${col}::text`, column: { name, kind: 'string' } };
  if (/^(timestamp|date|time)/.test(dataType)) return { sql: `to_json(${col}) #>> '{}'`, column: { name, kind: 'string' } };
  return { sql: `to_json(${col})::text`, column: { name, kind: 'json' } };
}

/**
 * Reads the rows after `checkpoint`, in position order, inside one REPEATABLE READ READ ONLY
 * transaction: the read ends at the last position committed when the ingest began. The rows
 * come out through COPY … TO STDOUT, streamed into temp files that DuckDB reads in parallel
 * (the stage view): the server sends each column's own text instead of rendering JSON
 * (row_to_json cost 8 s per 1M Message DB rows against 4.8 s for CSV), and no row is parsed in
 * JavaScript (CopyOutToFile only finds where each row's bytes are). The CSV separates values
 * with US (0x1F) and quotes every one (so NULL and '' differ) with RS (0x1E), bytes JSON text
 * does not hold: with the usual `,` and `"` every quote of the JSON would be doubled by the
 * server and undone by DuckDB (1.2 s more of DuckDB's CPU per 1M rows; the same values). Two
 * connections, one snapshot
 * (the second imports the first's), copy the two halves of the position range at once:
 * the server's text output is single-threaded per connection.
 */
export async function readPostgres(
  store: Store, target: PgTarget, layout: PgLayout, from: ReadFrom, progress?: (message: string) => void,
): Promise<StoreRead> {
  const { checkpoint, gaps } = from;
  // Before the connection: a folder that cannot be made must not leave a client open.
  const dir = makeTempDir('evtrail-pg-', 'the rows read from PostgreSQL');
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: 10_000, application_name: 'evtrail' });
  // An error on an idle client (server gone) must not escape as an uncaught event.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    cleanup();
    throw pgError(error, target, layout);
  }
  let extra: pg.Client | undefined;
  let done = false;
  try {
    const cols = await client.query<{ column_name: string; data_type: string; udt_name: string }>(
      `SELECT column_name, data_type, udt_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
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
    // Reads are ordered by the position and resumed after it: it must be an integer (a text
    // column would order '10' before '9').
    const positionType = cols.rows.find((r) => r.column_name === layout.positionColumn)?.data_type ?? '';
    if (!INTEGER_TYPES.has(positionType)) {
      throw new UserError(
        `PostgreSQL at ${target.where}: ${layout.schema}.${layout.table}.${layout.positionColumn} is ${positionType}, not an integer: it cannot order the reads`,
        layout.preset === 'table' ? 'name an increasing integer column with --map position=<column>' : `pass the --preset of this store (${layout.preset} reads ${layout.positionColumn} as its global position)`,
      );
    }
    if (layout.positionPerPartitionOf) await refusePerPartitionPositions(client, target, layout, layout.positionPerPartitionOf);
    const columns = cols.rows.map((r) => pgColumn(r.column_name, r.data_type, r.udt_name));
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET LOCAL TIME ZONE 'UTC'`);
    // The snapshot's horizon: which transactions were still running (ingest-store.ts keeps the
    // gaps they may fill). pg_current_snapshot() is PostgreSQL 13+; before that no gap is kept open.
    const horizon = (await client.query<{ xmin: string; xmax: string }>(
      `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, pg_snapshot_xmax(pg_current_snapshot())::text AS xmax`,
    ).catch(() => undefined))?.rows[0];
    if (!horizon) {
      await client.query('ROLLBACK');
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`SET LOCAL TIME ZONE 'UTC'`);
    }
    const pos = `t.${sqlIdent(layout.positionColumn)}`;
    const table = `${sqlIdent(layout.schema)}.${sqlIdent(layout.table)} t`;
    const settledSql = layout.settled && have.has(layout.settled.column) ? layout.settled.sql : undefined;
    const settled = settledSql ? `AND ${settledSql}` : '';
    const skipSql = layout.skip?.sql(have);
    const after = (value: string | null) => (value === null ? 'TRUE' : `${pos} > ${sqlString(value)}`);
    // Positions found missing by earlier reads while transactions still ran: read again.
    const inGaps = gaps.length === 0 ? 'FALSE' : `(${gaps.map((g) => `${pos} BETWEEN ${sqlString(g.lo)} AND ${sqlString(g.hi)}`).join(' OR ')})`;
    // Rows the settled rule holds back (committed, but not yet safe to read past) are counted,
    // to be said; skipped rows (not events) are counted in the bounds and not copied.
    const isSettled = settledSql ?? 'TRUE';
    const bounds = (await client.query<{ lo: string | null; hi: string | null; n: string; late: string; held: string; skipped: string }>(
      `SELECT min(${pos}) FILTER (WHERE ${after(checkpoint)} AND ${isSettled})::bigint::text AS lo, max(${pos}) FILTER (WHERE ${after(checkpoint)} AND ${isSettled})::bigint::text AS hi,
        count(*) FILTER (WHERE ${after(checkpoint)} AND ${isSettled})::text AS n, count(*) FILTER (WHERE ${inGaps} AND ${isSettled})::text AS late,
        ${settledSql ? `count(*) FILTER (WHERE NOT (${settledSql}))::text` : `'0'`} AS held,
        ${skipSql ? `count(*) FILTER (WHERE ${isSettled} AND ${skipSql})::text` : `'0'`} AS skipped
      FROM ${table} WHERE ${pos} IS NOT NULL AND (${after(checkpoint)} OR ${inGaps})`,
    )).rows[0]!;
    const held = Number(bounds.held);
    let skipped: StoreRead['skipped'];
    const copied = skipSql && Number(bounds.skipped) > 0 ? `AND NOT ${skipSql}` : '';
    let rows = 0;
    let last: string | null = null;
    const files: string[] = [];
    if ((bounds.lo !== null && bounds.hi !== null) || Number(bounds.late) > 0) {
      // Part 0: the gaps and the first half of what follows the checkpoint; part 1: the rest.
      const parts: string[] = [];
      if (bounds.lo !== null && bounds.hi !== null) {
        const lo = BigInt(bounds.lo);
        const hi = BigInt(bounds.hi);
        const mid = String(lo + (hi - lo) / 2n);
        if (Number(bounds.n) > 2 * splitRows()) {
          parts.push(`((${after(checkpoint)} AND ${pos} <= ${sqlString(mid)}) OR ${inGaps})`, `(${after(mid)} AND ${pos} <= ${sqlString(bounds.hi)})`);
        } else {
          parts.push(`((${after(checkpoint)} AND ${pos} <= ${sqlString(bounds.hi)}) OR ${inGaps})`);
        }
        last = bounds.hi;
      } else {
        parts.push(inGaps);
        last = checkpoint;
      }
      const total = Number(bounds.n) + Number(bounds.late);
      const copies: CopyOutToFile[] = [];
      const copyRange = async (c: pg.Client, where: string, k: number) => {
        const file = path.join(dir, `stage-${k}.csv`);
        files.push(file);
        const fd = fs.openSync(file, 'w', 0o600);
        const copy = new CopyOutToFile(`COPY (SELECT ${pos}::bigint, ${columns.map((x) => x.sql).join(', ')} FROM ${table}
          WHERE ${pos} IS NOT NULL AND ${where} ${settled} ${copied} ORDER BY ${pos}) TO STDOUT (FORMAT csv, DELIMITER E'\\x1f', QUOTE E'\\x1e', FORCE_QUOTE *)`, fd);
        copies.push(copy);
        try {
          void c.query(copy);
          rows += await copy.done;
        } finally {
          fs.closeSync(fd);
        }
      };
      // The second connection is set up first: a query on the first one would wait behind its COPY.
      const clients = [client];
      if (parts[1]) {
        const snapshot = (await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
        const second = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: 10_000, application_name: 'evtrail' });
        second.on('error', () => undefined);
        extra = second;
        await second.connect();
        await second.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        await second.query(`SET TRANSACTION SNAPSHOT ${sqlString(snapshot)}`);
        await second.query(`SET LOCAL TIME ZONE 'UTC'`);
        clients.push(second);
      }
      const timer = setInterval(() => {
        // The callback throws to stop the ingest (Ctrl-C): that ends the copies, not the process.
        try {
          progress?.(`reading ${target.uri}: ${(copies.reduce((n, c) => n + c.bytes, 0) / 2 ** 20).toFixed(0)} MB of ~${total} rows`);
        } catch (error) {
          for (const copy of copies) copy.cancel(error);
        }
      }, 500);
      try {
        const jobs = parts.map((where, k) => copyRange(clients[k]!, where, k));
        // One part failing stops the other (its rows would be thrown away).
        await Promise.all(jobs).catch(async (error: unknown) => {
          for (const copy of copies) copy.cancel(error);
          await Promise.allSettled(jobs);
          throw error;
        });
      } finally {
        clearInterval(timer);
      }
      if (copied) {
        // Few (one per sequence number of a failed append): their positions, so they are no gaps.
        const where = `${pos} IS NOT NULL AND (${after(checkpoint)} OR ${inGaps}) ${settled} AND ${skipSql}${last !== null ? ` AND ${pos} <= ${sqlString(last)}` : ''}`;
        const found = await client.query<{ p: string }>(`SELECT ${pos}::bigint::text AS p FROM ${table} WHERE ${where} ORDER BY ${pos}`);
        skipped = { what: layout.skip!.what, positions: found.rows.map((r) => r.p) };
      }
    }
    await client.query('COMMIT');
    if (rows === 0) {
      // Nothing but skipped rows: they are read again with the next event (the checkpoint stays).
      done = true;
      return { rows: 0, last: null, cleanup, horizon, held };
    }
    files.sort();
    const stageColumns = columns.map((c) => c.column);
    const csvColumns = [`'pos': 'BIGINT'`, ...stageColumns.map((c, i) => `${sqlString(stageName(i))}: 'VARCHAR'`)].join(', ');
    await store.run(`CREATE OR REPLACE TEMP VIEW ${STAGE_TABLE} AS SELECT * FROM read_csv([${files.map(sqlString).join(', ')}],
      columns={${csvColumns}}, header=false, delim=E'\\x1F', quote=E'\\x1E', escape=E'\\x1E', allow_quoted_nulls=false, auto_detect=false,
      max_line_size=${MAX_LINE_BYTES}, buffer_size=${2 * MAX_LINE_BYTES})`);
    done = true;
    return { rows, last, cleanup, horizon, held, skipped, columns: stageColumns.map((c, i) => ({ ...c, stage: stageName(i) })) };
  } catch (error) {
    // Errors from the server or the connection become one line; anything else (an interrupt,
    // DuckDB, the temp files: the CLI says those in their own words) goes on as it is.
    const e = error as { code?: unknown; message?: unknown };
    if (!isFileSystemError(error) && (error instanceof pg.DatabaseError || typeof e?.code === 'string' || /Connection terminated|timeout/i.test(String(e?.message)))) {
      throw pgError(error, target, layout);
    }
    throw error;
  } finally {
    if (!done) cleanup();
    await extra?.end().catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/**
 * Marten's UseTenantPartitionedEvents partitions mt_events by tenant_id and gives every tenant
 * its own sequence (Marten 9, QuickAppendEventFunction / PerTenantEventSequences): seq_id 1
 * exists once per tenant, so the parent table has no order to read in or resume from. Each
 * partition is an ordinary table with its own seq_id order: the user reads them one by one.
 */
async function refusePerPartitionPositions(client: pg.Client, target: PgTarget, layout: PgLayout, column: string): Promise<void> {
  const parts = await client.query<{ key: string; part: string | null }>(
    `SELECT pg_get_partkeydef(c.oid) AS key, (SELECT string_agg(k.relname, ', ' ORDER BY k.relname) FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid WHERE i.inhparent = c.oid) AS part
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = 'p'`,
    [layout.schema, layout.table],
  );
  const row = parts.rows[0];
  if (!row || !new RegExp(`\\b${column}\\b`).test(row.key)) return;
  throw new UserError(
    `PostgreSQL at ${target.where}: ${layout.schema}.${layout.table} is partitioned by ${column} (Marten's UseTenantPartitionedEvents): each tenant numbers its own ${layout.positionColumn}, so one read of the table cannot be ordered or resumed`,
    `ingest each tenant's partition on its own: --table ${layout.schema}.<partition>${row.part ? ` (here: ${row.part})` : ''}`,
  );
}

/** The stage's name for the i-th table column (the table's own names may be anything). */
const stageName = (i: number) => `c${i + 1}`;
