import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CheckFailed, UserError } from '../core/errors.js';
import { CHAIN_FORMAT } from '../integrity/chain.js';
import { nowIso, parseAt, type At, type StoreBounds } from '../core/time.js';
import { storeTimeZones } from '../store/time-zones.js';
import { MACROS_SQL } from '../store/macros.js';
import { sqlString } from '../store/sql.js';
import type { Store } from '../store/store.js';
import { VERSION } from '../version.js';
import { hashFile, listFiles, mapLimit } from './files.js';
import {
  EXPORT_FORMAT_ID, MANIFEST_FILE, PARTITION_COLUMNS, columnsFor, manifestSchema,
  type ExportFile, type ExportFileFormat, type ExportManifest, type PartitionColumn,
} from './manifest.js';
import { copyOptions, exportSelect, singleFileName, windowCondition, windowLabel } from './plan.js';

export interface ExportRequest {
  format: ExportFileFormat;
  /** The folder to write (created; must be new or empty, or hold an export to replace with force). */
  out: string;
  partitionBy: readonly PartitionColumn[];
  since?: string;
  until?: string;
  force?: boolean;
  /**
   * Recompute the chain from the events (evtrail verify) and refuse a store whose events do not
   * match it, instead of recording the stored head. Default false: the chain was checked as each
   * part was ingested, and recomputing it hashes every event (it doubled the export's time).
   */
  verify?: boolean;
  /** Called between steps; it may throw to stop the export (an interrupt). */
  progress?: (message: string) => void;
}

export interface ExportResult {
  out: string;
  files: number;
  events: number;
  /** Bytes of the data files (the manifest not counted). */
  bytes: number;
  manifest: string;
  partitioning: string[] | null;
  firstSeq: number | null;
  lastSeq: number | null;
  chainHead: string | null;
  /** true: recomputed and matching (--verify); null: the stored head, not recomputed (the default). */
  chainOk: boolean | null;
}

/**
 * Writes the store's events (or a --since/--until window of them) to a folder: NDJSON or
 * Parquet, optionally hive-partitioned, with DuckDB's COPY, then a manifest of every file's
 * rows, size and SHA-256. Everything is written into a sibling DIR.tmp-… first and renamed into
 * place at the end, so a failed or interrupted export leaves nothing half-written, and two
 * exports never mix in one folder.
 */
export async function exportStore(store: Store, request: ExportRequest): Promise<ExportResult> {
  const outAbs = path.resolve(request.out);
  const replacing = checkOut(request.out, outAbs, store.path, request.force ?? false);

  await store.run(MACROS_SQL);
  const bounds = (await store.all(`SELECT count(*) AS n, min(seq) AS first_seq, max(seq) AS last_seq, evt_iso(min(ts)) AS first_ts, evt_iso(max(ts)) AS last_ts FROM events`))[0]!;
  if (Number(bounds.n) === 0) {
    throw new UserError(`the store ${path.basename(store.path)} holds no events: nothing to export`, 'ingest something first: evtrail ingest <file> --db FILE');
  }
  const storeBounds: StoreBounds = {
    firstTs: (bounds.first_ts as string | null) ?? null,
    lastTs: (bounds.last_ts as string | null) ?? null,
    lastSeq: BigInt(String(bounds.last_seq)),
    timeZones: await storeTimeZones(store),
  };
  const since: At | undefined = request.since !== undefined ? parseAt(request.since, storeBounds, '--since') : undefined;
  const until: At | undefined = request.until !== undefined ? parseAt(request.until, storeBounds, '--until') : undefined;
  const where = windowCondition(since, until);
  // Without a window the selection is the whole store: its bounds, not the same scan again.
  const selected = since === undefined && until === undefined ? bounds : (await store.all(`SELECT count(*) AS n, min(seq) AS first_seq, max(seq) AS last_seq,
      evt_iso(min(ts)) AS first_ts, evt_iso(max(ts)) AS last_ts FROM events e WHERE ${where}`))[0]!;
  const events = Number(selected.n);
  if (events === 0) {
    throw new UserError(
      `no events in the window [${windowLabel(since) ?? 'start'}, ${windowLabel(until) ?? 'end'})`,
      `the store's events run from ${storeBounds.firstTs ?? 'seq 1'} to ${storeBounds.lastTs ?? `seq ${storeBounds.lastSeq}`} (evtrail info)`,
    );
  }

  // Before anything is written: --verify refuses a store whose events no longer match its chain.
  request.progress?.(request.verify ? 'verifying the chain' : 'reading the chain head');
  const chain = await chainHead(store, request.verify === true);

  const parent = path.dirname(outAbs);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = `${outAbs}.tmp-${crypto.randomBytes(4).toString('hex')}`;
  fs.mkdirSync(tmp);
  try {
    request.progress?.(`writing ${request.format} to ${request.out}`);
    const partitioned = request.partitionBy.length > 0;
    const target = partitioned ? tmp : path.join(tmp, singleFileName(request.format));
    // Rows in seq order, so the bytes are the same on every run. DuckDB's partitioned writer
    // keeps a buffer per thread and per partition and flushes them in whatever order the
    // threads finish, ORDER BY or not (measured: 13 of 13 files of a 1M-event export out of seq
    // order on two threads): it runs on one thread, which writes in scan order, so the sort is
    // left out when the table is stored in seq order. An unpartitioned COPY keeps an ORDER BY's
    // order on every thread, but not a scan's through the join (measured too): it sorts.
    const scanInOrder = partitioned && (await storedInSeqOrder(store));
    const copy = `COPY (${exportSelect(request.format, request.partitionBy, where, scanInOrder)}) TO ${sqlString(target)} (${copyOptions(request.format, request.partitionBy)})`;
    if (partitioned) await withOneThread(store, () => store.run(copy));
    else await store.run(copy);

    request.progress?.('hashing the files');
    const names = listFiles(tmp);
    const hashed = await mapLimit(names, 4, (name) => hashFile(path.join(tmp, name)));
    const rowsOf = request.format === 'parquet' ? await parquetRows(store, tmp, names) : hashed.map((h) => h.lines);
    const files: ExportFile[] = names.map((name, i) => ({ path: name, rows: rowsOf[i]!, bytes: hashed[i]!.bytes, sha256: hashed[i]!.sha256 }));
    const written = files.reduce((n, f) => n + f.rows, 0);
    if (written !== events) throw new Error(`export wrote ${written} rows for ${events} events`);

    const manifest: ExportManifest = {
      format: EXPORT_FORMAT_ID,
      evtrail_version: VERSION,
      created_at: nowIso(),
      store: store.path,
      file_format: request.format,
      events,
      first_seq: Number(selected.first_seq),
      last_seq: Number(selected.last_seq),
      time_range: { first: (selected.first_ts as string | null) ?? null, last: (selected.last_ts as string | null) ?? null },
      window: { since: windowLabel(since), until: windowLabel(until) },
      columns: manifestColumns(request.format, request.partitionBy),
      partitioning: partitioned ? { style: 'hive', by: [...request.partitionBy] } : null,
      files,
      chain,
    };
    manifestSchema.parse(manifest);
    fs.writeFileSync(path.join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
    request.progress?.('moving the export into place');
    swapIntoPlace(tmp, outAbs, replacing);
    return {
      out: request.out, files: files.length, events, bytes: files.reduce((n, f) => n + f.bytes, 0),
      manifest: path.join(request.out, MANIFEST_FILE), partitioning: manifest.partitioning?.by ?? null,
      firstSeq: manifest.first_seq, lastSeq: manifest.last_seq, chainHead: chain.head, chainOk: chain.ok,
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Checks --out before anything is written. Returns whether an existing folder will be replaced
 * (empty, or a previous export with --force). A folder holding anything else is never deleted,
 * --force or not: an export must not cost a user their files.
 */
function checkOut(shown: string, outAbs: string, storePath: string, force: boolean): boolean {
  const stat = fs.statSync(outAbs, { throwIfNoEntry: false });
  if (!stat) return false;
  if (!stat.isDirectory()) throw new UserError(`--out ${shown} is a file`, 'pass a folder to write the export into (it is created when missing), e.g. --out archive/');
  const rel = path.relative(outAbs, storePath);
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) throw new UserError(`--out ${shown} holds the store itself`, 'export into another folder, e.g. --out archive/');
  const entries = fs.readdirSync(outAbs);
  if (entries.length === 0) return true;
  const isExport = entries.includes(MANIFEST_FILE) && readsAsExport(path.join(outAbs, MANIFEST_FILE));
  if (!force) {
    throw new UserError(
      `--out ${shown} is not empty`,
      isExport ? 'it holds an earlier export: pass --force to replace it, or pick a new folder' : 'pick a new or empty folder (an export never mixes with other files)',
    );
  }
  if (!isExport) {
    throw new UserError(`--out ${shown} holds files that are not an evtrail export; --force replaces only an earlier export`, 'pick a new or empty folder');
  }
  return true;
}

function readsAsExport(file: string): boolean {
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { format?: unknown };
    return typeof json.format === 'string' && json.format.startsWith('evtrail-export/');
  } catch {
    return false;
  }
}

/** tmp becomes out; an existing out is moved aside first and removed only once tmp is in place. */
function swapIntoPlace(tmp: string, outAbs: string, replacing: boolean): void {
  if (!replacing) {
    fs.renameSync(tmp, outAbs);
    return;
  }
  const old = `${outAbs}.old-${crypto.randomBytes(4).toString('hex')}`;
  fs.renameSync(outAbs, old);
  try {
    fs.renameSync(tmp, outAbs);
  } catch (error) {
    fs.renameSync(old, outAbs);
    throw error;
  }
  fs.rmSync(old, { recursive: true, force: true });
}

/**
 * Whether the events table is stored in seq order (seq = row id + a constant): what every
 * ingest writes, checked in one pass over two integer columns rather than assumed.
 */
async function storedInSeqOrder(store: Store): Promise<boolean> {
  const [row] = await store.all(`SELECT min(seq - rowid) = max(seq - rowid) AS ok FROM events`);
  return row?.ok === true;
}

async function withOneThread<T>(store: Store, fn: () => Promise<T>): Promise<T> {
  const [row] = await store.all(`SELECT current_setting('threads') AS n`);
  await store.run(`SET threads = 1`);
  try {
    return await fn();
  } finally {
    await store.run(`SET threads = ${Number(row?.n) || 1}`);
  }
}

async function parquetRows(store: Store, dir: string, names: readonly string[]): Promise<number[]> {
  if (names.length === 0) return [];
  const list = names.map((n) => sqlString(path.join(dir, n))).join(', ');
  const rows = await store.all(`SELECT file_name, num_rows FROM parquet_file_metadata([${list}])`);
  const byFile = new Map(rows.map((r) => [String(r.file_name), Number(r.num_rows)]));
  return names.map((n) => {
    const rowsIn = byFile.get(path.join(dir, n));
    if (rowsIn === undefined) throw new Error(`no Parquet metadata for ${n}`);
    return rowsIn;
  });
}

function manifestColumns(format: ExportFileFormat, partitionBy: readonly PartitionColumn[]): ExportManifest['columns'] {
  return [
    ...columnsFor(format).map((c) => ({ name: c.name, type: format === 'parquet' ? c.parquet : c.ndjson, description: c.description })),
    ...partitionBy.map((p) => ({
      name: p,
      type: PARTITION_COLUMNS[p].type,
      description: `partition: ${PARTITION_COLUMNS[p].description}${format === 'ndjson' ? ' (in the path only)' : ' (in the path and the files)'}`,
    })),
  ];
}

/**
 * The store's integrity chain head (src/integrity), so the manifest says which chain the
 * archive reproduces: by default the head the store kept (a read of a few rows; each ingest
 * checked its part, and evtrail verify checks the whole), with --verify recomputed from the
 * events as evtrail verify does, and a store whose events do not match it is refused (exit 1).
 */
async function chainHead(store: Store, verify: boolean): Promise<ExportManifest['chain']> {
  if (verify) {
    const { verifyStore } = await import('../integrity/verify.js');
    const result = await verifyStore(store);
    if (!result.ok) {
      const first = result.problems[0];
      throw new CheckFailed(`--verify: the store's events do not match its hash chain (${result.problems.length + result.more} problem(s)${first ? `; first: ${first.message}` : ''}); nothing was exported`);
    }
    return { head: result.head, verified: true, ok: true, format: CHAIN_FORMAT };
  }
  const { STORE_SCOPE, storedBlocks } = await import('../integrity/chain-store.js');
  const blocks = await storedBlocks(store, `WHERE source_id = ${STORE_SCOPE}`);
  return { head: blocks.at(-1)?.link ?? null, verified: false, ok: null, format: CHAIN_FORMAT };
}
