/**
 * Reading an evtrail export (src/export) back in: `evtrail ingest DIR` (a folder with an export
 * manifest) or `evtrail ingest DIR/manifest.json`. The export is ONE source, named by its
 * manifest: every data file is checked against the manifest's SHA-256 first, then all files are
 * read as one relation in the exported seq order, so the new store gets the same events in the
 * same order (and so the same duplicate marks and the same chain). The manifest's own bytes are
 * the source's bytes and hash: re-ingesting an unchanged export adds nothing, a changed one is
 * refused like any changed source.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { hashFile, mapLimit } from '../export/files.js';
import { EXPORT_FORMAT_ID, MANIFEST_FILE, manifestSchema, type ExportManifest } from '../export/manifest.js';
import { sqlString } from '../store/sql.js';
import type { Store } from '../store/store.js';
import { MAX_LINE_BYTES } from './readers.js';

/** The preset name a source read from an export is recorded with. */
export const EXPORT_PRESET = 'evtrail-export';

/** A folder argument that holds an export: its manifest's path (the folder is read as one source). */
export function exportManifestIn(dir: string): string | undefined {
  const file = path.join(dir, MANIFEST_FILE);
  return fs.statSync(file, { throwIfNoEntry: false })?.isFile() && looksLikeManifest(readHead(file)) ? file : undefined;
}

/** Whether the first bytes of a file are those of an export manifest (its format id comes first). */
export function looksLikeManifest(head: Buffer): boolean {
  return /^\s*\{\s*"format"\s*:\s*"evtrail-export\//.test(head.subarray(0, 256).toString('utf8'));
}

/**
 * The manifest of an export, validated; a file that only looks like one is a one-line error.
 * An export is read as written: a preset or --map would change what the events say.
 */
export function openExport(file: string, shown: string, options: { preset?: string; map?: Record<string, unknown> }): ExportManifest {
  if ((options.preset ?? 'canonical') !== 'canonical' || Object.keys(options.map ?? {}).length > 0) {
    throw new UserError(`${shown} is an evtrail export: it is read as written, without --preset or --map`, 'drop --preset and --map for this source');
  }
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${shown} is not a readable export manifest (${(error as Error).message})`, 'export the store again (evtrail export), or restore the manifest');
  }
  const format = (json as { format?: unknown }).format;
  if (format !== EXPORT_FORMAT_ID) {
    throw new UserError(`${shown} is an export of another format (${String(format)})`, `this evtrail reads ${EXPORT_FORMAT_ID}; use the evtrail that wrote it`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`${shown} is not a valid export manifest (${issue?.path.join('.') || 'root'}: ${issue?.message})`, 'export the store again (evtrail export), or restore the manifest');
  }
  return parsed.data;
}

/**
 * Checks every file of the export against the manifest (present, same size, same SHA-256)
 * before anything is read: a changed file is refused by name.
 */
export async function verifyExportFiles(manifest: ExportManifest, manifestPath: string, shown: string): Promise<string[]> {
  const dir = path.dirname(manifestPath);
  const hint = 'the export was changed after it was written: restore the file, or export the store again';
  const files = manifest.files.map((f) => {
    const full = path.resolve(dir, ...f.path.split('/'));
    // A manifest names files inside its folder only.
    const rel = path.relative(dir, full);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new UserError(`${shown} names a file outside its folder: ${f.path}`, hint);
    return { ...f, full };
  });
  await mapLimit(files, 4, async (f) => {
    const stat = fs.statSync(f.full, { throwIfNoEntry: false });
    if (!stat?.isFile()) throw new UserError(`export ${shown}: ${f.path} is missing`, hint);
    if (stat.size !== f.bytes) throw new UserError(`export ${shown}: ${f.path} does not match the manifest (${stat.size} bytes, the manifest says ${f.bytes})`, hint);
    const { sha256 } = await hashFile(f.full);
    if (sha256 !== f.sha256) throw new UserError(`export ${shown}: ${f.path} does not match the manifest (its SHA-256 differs)`, hint);
  });
  return files.map((f) => f.full);
}

/** Temp tables the staged export fills, as ingest.ts names them. */
export interface ExportTables {
  mapped: string;
  rejects: string;
  gaps: string;
}

/**
 * Reads the export's files into the mapped temp table ingest appends from: the envelope
 * columns, `pos` = the event's rank in the exported seq order (1-based, so seq in the new store
 * follows it), no raw line (the columns are typed already). Types come from the export, not
 * from a preset: a field the exporting store left empty stays empty even when meta holds a
 * value the canonical preset would have picked.
 */
export async function stageExport(
  store: Store, manifest: ExportManifest, files: readonly string[], tables: ExportTables,
): Promise<{ ingested: number; rejected: number; units: number; hasGaps: boolean }> {
  const list = `[${files.map(sqlString).join(', ')}]`;
  const ns = (col: string) => `make_timestamp_ns(${col}_ns)`;
  const read = manifest.file_format === 'parquet'
    ? `SELECT seq, id, stream, rev, type, schema_version, ${ns('ts')} AS ts, ${ns('recorded_ts')} AS recorded_ts,
        correlation_id, causation_id, source, data, meta, position
       FROM read_parquet(${list}, hive_partitioning=false, union_by_name=true)`
    : `SELECT seq, id, stream, rev, type, schema_version, evt_ts(ts) AS ts, evt_ts(recorded_ts) AS recorded_ts,
        correlation_id, causation_id, source, data, meta, position
       FROM read_json(${list}, format='newline_delimited', hive_partitioning=false, maximum_object_size=${MAX_LINE_BYTES},
         columns={'seq': 'BIGINT', 'id': 'VARCHAR', 'stream': 'VARCHAR', 'rev': 'BIGINT', 'type': 'VARCHAR',
           'schema_version': 'INTEGER', 'ts': 'VARCHAR', 'recorded_ts': 'VARCHAR', 'correlation_id': 'VARCHAR',
           'causation_id': 'VARCHAR', 'source': 'VARCHAR', 'data': 'JSON', 'meta': 'JSON', 'position': 'BIGINT'})`;
  if (files.length === 0) {
    await store.run(`CREATE OR REPLACE TEMP TABLE ${tables.mapped} (pos BIGINT, id VARCHAR, stream VARCHAR, rev BIGINT, type VARCHAR,
      schema_version INTEGER, ts TIMESTAMP_NS, recorded_ts TIMESTAMP_NS, correlation_id VARCHAR, causation_id VARCHAR, source VARCHAR,
      data JSON, meta JSON, position BIGINT, blank BOOLEAN, reason VARCHAR, line VARCHAR)`);
  } else {
    await store.run(`CREATE OR REPLACE TEMP TABLE ${tables.mapped} AS
      SELECT row_number() OVER (ORDER BY seq) AS pos, id, stream, rev, type, schema_version, ts, recorded_ts,
        correlation_id, causation_id, source, data::JSON AS data, meta::JSON AS meta, position, false AS blank,
        CASE WHEN seq IS NULL THEN 'missing seq' WHEN id IS NULL THEN 'missing id' WHEN type IS NULL THEN 'missing type'
          WHEN schema_version IS NULL THEN 'missing schema_version' END AS reason,
        NULL::VARCHAR AS line
      FROM (${read}) ORDER BY seq`);
  }
  await store.run(`CREATE OR REPLACE TEMP TABLE ${tables.rejects} AS
    SELECT pos, to_json(m)::VARCHAR AS line, reason FROM ${tables.mapped} m WHERE reason IS NOT NULL`);
  await store.run(`CREATE OR REPLACE TEMP TABLE ${tables.gaps} AS SELECT pos FROM ${tables.rejects}`);
  const counts = (await store.all(`SELECT count(*) AS units, count(*) FILTER (WHERE reason IS NULL) AS ingested FROM ${tables.mapped}`))[0]!;
  const units = Number(counts.units);
  const ingested = Number(counts.ingested);
  if (units !== manifest.events) {
    throw new UserError(`the export's files hold ${units} events, its manifest says ${manifest.events}`, 'the manifest was edited: export the store again');
  }
  return { ingested, rejected: units - ingested, units, hasGaps: units > ingested };
}

function readHead(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(256);
    return buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0));
  } finally {
    fs.closeSync(fd);
  }
}
