import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { EnvelopeField } from '../core/envelope.js';
import { firstLine, UserError } from '../core/errors.js';
import { extendChain } from '../integrity/chain-store.js';
import { HELD_BACK_REASON, chainRejects } from '../integrity/records-check.js';
import { sqlString } from '../store/sql.js';
import type { Store } from '../store/store.js';
import { VERSION } from '../version.js';
import { formatFromName, isGzip, sniffFormat, type Format } from './formats.js';
import { buildMapSql } from './map-sql.js';
import { NONE, SQL_PREFIX } from './mapping.js';
import { SQL_HINT } from './config.js';
import { getPreset, PRESETS, type Preset } from './presets/index.js';
import type { PresetContext } from './presets/preset.js';
import { checkTimeZone } from '../core/time-zone.js';
import { csvHeader, numberRows, readInto, type ReadRequest } from './readers.js';
import { EXPORT_PRESET, looksLikeManifest, openExport, stageExport, verifyExportFiles } from './export-source.js';
import { checkGzip, copyPart, copyWithoutLoneCr, expandFileArgs, gzipRefusal, makeTmpDir, scanFile, unfinishedTail, type FileInput, type HashState } from './sources.js';

export interface IngestOptions {
  sources: readonly string[];
  format?: Format;
  preset?: string;
  map?: Partial<Record<EnvelopeField, string>>;
  date?: string;
  /** LOBSTER: the ticker, when the file name does not carry it (or to override it). */
  symbol?: string;
  /** A market-time preset's time zone (--tz); default the preset's own (LOBSTER: America/New_York). */
  timeZone?: string;
  strict?: boolean;
  /** Paths to arrays whose elements are each an event (--each; README, Ingest: "Any shape"). */
  each?: readonly string[];
  /** A SQL condition over the record: records it holds for are skipped, counted (--skip). */
  skip?: string;
  /**
   * With --map id=none: the first part of the ids derived from source and line. Given by
   * `verify --source` (the source's stored one); else the stored one of an appended source, or
   * for a new source the first 12 hex digits of the SHA-256 of the bytes read.
   */
  idPrefix?: string;
  /** Called with a line of progress while long steps run (the CLI shows it on a TTY). */
  progress?: (message: string) => void;
  /**
   * The SHA-256 state of each source (by uri) where the last run left it, kept by a caller that
   * ingests the same growing files again and again (watch): a source whose stored size and hash
   * are that state's is hashed on from there, not from its first byte. Updated once a run commits.
   */
  hashStates?: Map<string, HashState & { sha256: string }>;
}

export interface SourceSummary {
  source: string;
  uri: string;
  /** A file format, or the kind of event store read. */
  format: Format | 'postgres' | 'nats';
  preset: string;
  /** new: first ingest; appended: only the new part was read; unchanged: nothing new. */
  status: 'new' | 'appended' | 'unchanged';
  ingested: number;
  rejected: number;
  redelivered: number;
  conflicts: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** Event stores: the last position read (global position, stream sequence). */
  checkpoint?: string | null;
  /** Event stores: holes in the positions read (a PostgreSQL sequence skips numbers on rollback). */
  /**
   * Event stores: holes in the positions read after the checkpoint (count, positions missing,
   * the first one), the gaps kept open to be read again (`open`, PostgreSQL: transactions were
   * still running), and the events this read found in gaps left open before (`filled`).
   */
  gaps?: { count: number; missing: number; first: string | null; open?: number; filled?: number };
  /**
   * Event stores: rows after the checkpoint that the store's visibility rule held back (Emmett:
   * written by a transaction not older than the oldest one still running); the next ingest reads them.
   */
  held?: number;
  /** Event stores: rows read past that are not events (Marten's tombstones), and what they are. */
  skipped?: { count: number; what: string };
  /** Marten: events of archived streams (is_archived; kept, meta.marten.is_archived). */
  archived?: number;
}

export interface IngestSummary {
  /** Records the --skip condition held for (present when some were). */
  skipped?: number;
  ingested: number;
  rejected: number;
  redelivered: number;
  conflicts: number;
  sources: SourceSummary[];
}

interface SourceRow {
  source_id: number;
  bytes: string;
  sha256: string;
  units: string;
  header: string | null;
  format: Format;
  mapping: string | null;
}

const HELD_BACK = HELD_BACK_REASON;

/**
 * Ingests files (and stdin) into the store. Reading and mapping happen first, into temp tables
 * (DuckDB is faster outside a transaction, and nothing there is the store's); then one
 * transaction appends every source's events and rejects: an error, --strict with a reject, or
 * an interrupt leaves the store exactly as it was.
 */
export async function ingestFiles(store: Store, options: IngestOptions): Promise<IngestSummary> {
  const tmp = makeTmpDir();
  try {
    const inputs = await expandFileArgs(options.sources, () => tmp);
    await store.defineMacros();
    await checkUserSql(store, options);
    const staged: StagedSource[] = [];
    let lastId = Number((await store.all(`SELECT coalesce(max(source_id), 0) AS n FROM sources`))[0]?.n);
    for (const [index, input] of inputs.entries()) {
      staged.push(await stageSource(store, input, options, index + 1, tmp, () => ++lastId));
    }

    await refuseSourcesMappingNothing(store, staged);

    if (options.strict) {
      const rejected = staged.filter((s) => s.rejected > 0);
      if (rejected.length > 0) {
        const first = rejected[0]!;
        const row = (await store.all(`SELECT pos, reason FROM ${first.rejectsTable} ORDER BY pos LIMIT 1`))[0];
        throw new UserError(
          `--strict: ${rejected.reduce((n, s) => n + s.rejected, 0)} record(s) rejected in ${rejected.map((s) => s.summary.source).join(', ')}` +
            (row ? ` (first: line ${row.pos}: ${row.reason})` : '') + '; the store is unchanged',
          'run without --strict to keep the good records and list the bad ones with evtrail rejects',
        );
      }
    }

    const summaries = await store.transaction(async () => {
      const ingestId = Number((await store.all(`SELECT coalesce(max(ingest_id), 0) + 1 AS n FROM ingests`))[0]?.n);
      const seqStart = Number((await store.all(`SELECT coalesce(max(seq), 0) AS n FROM events`))[0]?.n);
      let seqBase = seqStart;
      for (const source of staged) {
        if (source.summary.status === 'unchanged') continue;
        options.progress?.(`storing ${source.summary.source}`);
        await storeSource(store, source, ingestId, seqBase, options);
        seqBase += source.summary.ingested;
      }
      if (seqBase > seqStart) {
        options.progress?.('checking ids');
        await markDuplicates(store, seqStart, staged);
        await extendChain(store, seqStart);
      }
      for (const source of staged) {
        if (source.summary.status === 'unchanged') continue;
        const s = source.summary;
        await store.run(`INSERT INTO ingests VALUES (${ingestId}, ${source.sourceId}, timezone('UTC', now()), $v, ${source.prevBytes}, ${source.consumeTo},
            ${s.firstSeq ?? 'NULL'}, ${s.lastSeq ?? 'NULL'}, ${s.ingested}, ${s.rejected}, ${s.redelivered}, ${s.conflicts})`, { v: VERSION });
      }
      await chainRejects(store, ingestId);
      return staged.map((s) => s.summary);
    });
    for (const s of staged) if (s.hashState) options.hashStates?.set(s.input.uri, { ...s.hashState, sha256: s.sha256 });
    return summarize(summaries);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    await store.run(`DROP VIEW IF EXISTS stage_raw_v; DROP TABLE IF EXISTS stage_raw;`).catch(() => undefined);
  }
}

/**
 * A source that gave records and mapped none of them is a feed evtrail was not told how to
 * read, not a log with a few bad lines: the ingest is refused (exit 2, the store unchanged),
 * with the commonest reason, how many, and the record's fields to map from. With several
 * sources, one such source refuses the whole ingest: storing the others would let a
 * mis-mapped feed pass as ingested. A source that already holds events (an appended part
 * whose lines are all bad) keeps the usual rule: rejects, counted. A line held back as
 * unfinished is not a record yet.
 */
async function refuseSourcesMappingNothing(store: Store, staged: readonly StagedSource[]): Promise<void> {
  const unmapped = staged.filter((s) =>
    s.summary.status !== 'unchanged' && s.summary.ingested === 0 && s.rejected > 0 && Number((s.existing as { events?: unknown } | undefined)?.events ?? 0) === 0);
  if (unmapped.length === 0) return;
  const s = unmapped[0]!;
  // Reasons quote the value they could not read: the commonest is counted with the values left out.
  const commonest = (await store.all(`
    SELECT regexp_replace(regexp_replace(reason, 'cannot read .*? as a time', 'cannot read … as a time', 'g'), 'got [^;]*', 'got …', 'g') AS kind,
      count(*) AS n, arg_min(reason, pos) AS reason, min(pos) AS pos
    FROM ${s.rejectsTable} WHERE reason <> $held GROUP BY kind ORDER BY n DESC, kind LIMIT 1`, { held: HELD_BACK }))[0];
  if (!commonest) return; // only a held-back line
  const records = Number((await store.all(`SELECT count(*) AS n FROM ${s.rejectsTable} WHERE reason <> $held`, { held: HELD_BACK }))[0]?.n);
  const fields = (await store.all(`SELECT json_keys(line) AS k FROM ${s.rejectsTable}
    WHERE json_valid(line) AND json_type(line) = 'OBJECT' ORDER BY pos LIMIT 1`))[0]?.k as string[] | undefined;
  // A feed of JSON arrays (exchange frames such as [8047, ["ord-1", 101.5, 3]]) is mapped by index.
  const arrays = Number((await store.all(`SELECT count(*) AS n FROM ${s.rejectsTable}
    WHERE reason = 'not a JSON object' AND json_valid(line) AND json_type(line) = 'ARRAY'`))[0]?.n) > 0;
  const others = unmapped.length > 1 ? ` (and ${unmapped.length - 1} more source(s): ${unmapped.slice(1).map((u) => u.summary.source).join(', ')})` : '';
  const n = Number(commonest.n);
  throw new UserError(
    `nothing could be mapped from ${s.summary.source}${others}: all ${records} record(s) rejected, ` +
      `${n === records ? 'every one' : `${n} of them`} for "${String(commonest.reason)}" (first at line ${commonest.pos}); nothing was ingested`,
    `say where the envelope fields are with --map field=path (e.g. --map id=event.uuid --map ts=occurred), or pick a --preset (${PRESETS.map((p) => p.name).join(', ')})` +
      (fields?.length ? `; its records have the fields ${fields.slice(0, 12).join(', ')}${fields.length > 12 ? ', …' : ''}` : '') +
      (arrays ? '; its records are JSON arrays: map them by index, e.g. --map id=$[0] --map type=$[1] --map ts=$[2] (paths such as $[1][0] reach inside)' : '') +
      (staged.length > 1 ? `; or ingest ${s.summary.source} on its own` : ''),
  );
}

/**
 * The user's SQL (--map field=sql:…, --skip) checked by DuckDB before anything is read: the
 * mapping statement is bound over no records, and when it fails each expression alone names
 * the one at fault. Bad SQL is a one-line error (exit 2), the store unchanged.
 */
async function checkUserSql(store: Store, options: IngestOptions): Promise<void> {
  const map = options.map ?? {};
  const sqlFields = (Object.keys(map) as EnvelopeField[]).filter((f) => map[f]!.startsWith(SQL_PREFIX));
  if (sqlFields.length === 0 && options.skip === undefined) return;
  const preset = getPreset(options.preset ?? 'canonical');
  const numbered = true;
  const none = `(SELECT NULL::BIGINT AS pos, NULL::VARCHAR AS line WHERE false)`;
  const ctx: PresetContext = { fileName: 'check', date: options.date ?? '2000-01-01', symbol: options.symbol ?? 'X', timeZone: marketTimeZone(preset, options) };
  const attempt = async (m: Partial<Record<EnvelopeField, string>>, skip: string | undefined): Promise<string | undefined> => {
    try {
      await store.all(`SELECT count(*) FROM (${buildMapSql(preset, m, ctx, none, undefined, { each: options.each, skip, numbered })})`);
      return undefined;
    } catch (error) {
      return firstLine(error);
    }
  };
  if ((await attempt(map, options.skip)) === undefined) return;
  const others = Object.fromEntries(Object.entries(map).filter(([, v]) => !v!.startsWith(SQL_PREFIX)));
  const culprits: [string, string | undefined][] = [
    ...sqlFields.map((f) => [`--map ${f}=${map[f]}`, undefined] as [string, string | undefined]),
    ...(options.skip !== undefined ? [[`--skip ${options.skip}`, undefined] as [string, string | undefined]] : []),
  ];
  for (const [i, f] of sqlFields.entries()) culprits[i]![1] = await attempt({ ...others, [f]: map[f] }, undefined);
  if (options.skip !== undefined) culprits[culprits.length - 1]![1] = await attempt(others, options.skip);
  const [where, message] = culprits.find(([, m]) => m !== undefined) ?? ['the mapping', await attempt(map, options.skip)];
  throw new UserError(`${where}: DuckDB cannot evaluate it (${(message ?? '').replace(/^.*?Error: /, '')}); nothing was ingested`, SQL_HINT);
}

/** One ingest's summary: its sources' counts added up (files here, an event store in stores/ingest-store.ts). */
export function summarize(sources: SourceSummary[]): IngestSummary {
  const sum = (key: 'ingested' | 'rejected' | 'redelivered' | 'conflicts') => sources.reduce((n, s) => n + s[key], 0);
  const skipped = sources.reduce((n, s) => n + (s.skipped?.what === SKIP_WHAT ? s.skipped.count : 0), 0);
  return { ingested: sum('ingested'), rejected: sum('rejected'), redelivered: sum('redelivered'), conflicts: sum('conflicts'), ...(skipped > 0 ? { skipped } : {}), sources };
}

/** What a source's `skipped` says of records --skip left out. */
export const SKIP_WHAT = 'records the --skip condition holds for (not events, not rejects; their bytes are hashed with the source)';

/** A source read and mapped into temp tables, ready to be appended. */
interface StagedSource {
  /** Its mapped table has the shaping columns (skipped, elem): a file read through the mapping. */
  shaped?: boolean;
  /** Some record gave several events (--each): seq follows (line, element). */
  exploded?: boolean;
  /** --map id=none: the derived ids' first part. */
  idPrefix?: string;
  /** Records skipped in this part, and in the source before it. */
  skippedNow?: number;
  skippedBefore?: number;
  input: FileInput;
  summary: SourceSummary;
  existing: SourceRow | undefined;
  sourceId: number;
  prevBytes: number;
  consumeTo: number;
  units: number;
  /** Position of the part's first record: its seq is seqBase + 1. */
  firstPos: number;
  rejected: number;
  sha256: string;
  header: string | null;
  mappedTable: string;
  rejectsTable: string;
  /** Positions in this part that are not events (rejects, blank lines): seq skips them. */
  gapsTable: string;
  hasGaps: boolean;
  /** The SHA-256 state at the end of the part (IngestOptions.hashStates). */
  hashState?: HashState;
}

async function stageSource(
  store: Store, input: FileInput, options: IngestOptions, k: number, tmp: string, allocateId: () => number,
): Promise<StagedSource> {
  const preset: Preset = getPreset(options.preset ?? 'canonical');
  const stat = fs.statSync(input.path, { bigint: true });
  const size = Number(stat.size);
  const head = await readHead(input.path);
  // An evtrail export (its manifest) is one source, read as written (export-source.ts).
  const exported = input.kind === 'file' && looksLikeManifest(head) ? openExport(input.path, input.displayName, options) : undefined;
  const format =
    exported?.file_format ??
    options.format ??
    (input.kind === 'file' ? formatFromName(input.path) : undefined) ??
    sniffFormat(head) ??
    (size === 0 ? (preset.defaultFormat ?? 'ndjson') : undefined);
  if (!format) {
    throw new UserError(`cannot tell the format of ${input.displayName}`, 'pass --format ndjson|json|csv|parquet');
  }
  const gz = isGzip(head);
  const existing = (await store.all(`SELECT * FROM sources WHERE uri = $uri`, { uri: input.uri }))[0] as SourceRow | undefined;
  if (existing && !exported) checkSameMarketTime(input, existing, marketTimeZone(preset, options));
  const prevBytes = existing ? Number(existing.bytes) : 0;
  const prevUnits = existing ? Number(existing.units) : 0;
  const sourceId = existing ? existing.source_id : allocateId();

  // How far to read: all of it, except an unfinished last NDJSON line (a writer mid-append).
  const tail = format === 'ndjson' && !gz ? await unfinishedTail(input.path, size) : undefined;
  const consumeTo = tail ? tail.end : size;
  const mappedTable = `evt_mapped_${k}`;
  const rejectsTable = `evt_rejects_${k}`;
  const gapsTable = `evt_gaps_${k}`;
  const staged: StagedSource = {
    input, existing, sourceId, prevBytes, consumeTo, units: prevUnits, firstPos: prevUnits + 1, rejected: 0,
    sha256: existing?.sha256 ?? '', header: existing?.header ?? null, mappedTable, rejectsTable, gapsTable, hasGaps: false,
    summary: {
      source: input.displayName, uri: input.uri, format, preset: exported ? EXPORT_PRESET : preset.name, status: existing ? 'appended' : 'new',
      ingested: 0, rejected: 0, redelivered: 0, conflicts: 0, firstSeq: null, lastSeq: null,
    },
  };
  if (existing && existing.format !== format) {
    throw new UserError(`${input.displayName} was ingested as ${existing.format}, now read as ${format}`, `pass --format ${existing.format}`);
  }
  if (existing && size < prevBytes) throw changedSource(input, prevBytes);
  const exportFiles = exported ? await verifyExportFiles(exported, input.path, input.displayName) : [];
  // Hash while DuckDB reads: the file is read twice, but on two cores at once.
  const lineFormat = format === 'ndjson' && !gz;
  // A watch's kept state: only the new bytes are hashed (the stored size and hash say the state is this source's).
  const kept = options.hashStates?.get(input.uri);
  const resume = existing && kept && kept.offset === prevBytes && kept.sha256 === existing.sha256 ? kept : undefined;
  const scanning = scanFile(input.path, [prevBytes, consumeTo], lineFormat ? prevBytes : undefined, resume);
  scanning.catch(() => undefined);
  if (existing) {
    const { hashes } = await scanning;
    if (hashes.get(prevBytes) !== existing.sha256) throw changedSource(input, prevBytes);
    if (consumeTo <= prevBytes) return { ...staged, summary: { ...staged.summary, status: 'unchanged' } };
    if (format === 'json' || format === 'parquet' || exported) {
      throw new UserError(
        `${input.displayName} has grown since it was ingested, and a ${format} file cannot be read in parts`,
        'append to NDJSON or CSV logs; ingest a rewritten file into a new store (--db)',
      );
    }
  }

  if (exported) {
    options.progress?.(`reading ${input.displayName}`);
    const part = await stageExport(store, exported, exportFiles, { mapped: mappedTable, rejects: rejectsTable, gaps: gapsTable });
    const { hashes } = await scanning;
    return {
      ...staged, units: part.units, rejected: part.rejected, sha256: hashes.get(consumeTo)!, hasGaps: part.hasGaps,
      summary: { ...staged.summary, ingested: part.ingested, rejected: part.rejected },
    };
  }

  const whole = prevBytes === 0 && consumeTo === size;
  const file = whole ? input.path : await copyPart(input.path, prevBytes, consumeTo, tmp);
  const csvHeaderLine = format === 'csv' && !preset.csvColumns && prevBytes === 0;
  const storedHeader = existing?.header ? (JSON.parse(existing.header) as string[]) : undefined;
  const request: ReadRequest = {
    file, format, posOffset: prevUnits, displayName: input.displayName, csvHeader: csvHeaderLine,
    csvColumns: preset.csvColumns ?? (format === 'csv' && !csvHeaderLine ? storedHeader : undefined),
  };
  // Records that become several events (--each) are numbered before mapping (rows are no
  // longer lines), and so is a mapping that reads the line number ($line).
  const userSql = [...Object.values(options.map ?? {}), options.skip ?? ''];
  const numbered = !!preset.usesPosition || !!options.each?.length || userSql.some((m) => /\$line(?![A-Za-z0-9_])/.test(m));
  const shape = { each: options.each, skip: options.skip, numbered };
  const mapSql = (records: string) => buildMapSql(preset, options.map ?? {}, presetContext(input, preset, options), records, undefined, shape);

  // Mapped as it is read: the file is materialised once. A preset whose mapping needs the
  // record's position (LOBSTER's ids) reads the lines first, numbers them, then maps.
  let lines = 0;
  const readAndMap = async (req: ReadRequest): Promise<string> => {
    options.progress?.(`reading ${input.displayName}`);
    if (numbered) {
      await readInto(store, req, 'stage_raw', (records) => `SELECT pos, line FROM ${records}`);
      await numberRows(store, req, 'stage_raw');
      lines = Number((await store.all(`SELECT count(*) AS n FROM stage_raw`))[0]?.n);
      options.progress?.(`mapping ${input.displayName}`);
      await store.run(`CREATE OR REPLACE TEMP TABLE ${mappedTable} AS
        SELECT * REPLACE (CASE WHEN reason IS NULL THEN NULL ELSE line END AS line) FROM (${mapSql('stage_raw_v')})`);
      await store.run(`DROP VIEW IF EXISTS stage_raw_v; DROP TABLE IF EXISTS stage_raw_shift; DROP TABLE IF EXISTS stage_raw;`);
      return mappedTable;
    }
    // The raw text is kept for rejects only.
    await readInto(store, req, mappedTable, (records) =>
      `SELECT * REPLACE (CASE WHEN reason IS NULL THEN NULL ELSE line END AS line) FROM (${mapSql(records)})`);
    await numberRows(store, req, mappedTable);
    lines = Number((await store.all(`SELECT count(*) AS n FROM ${mappedTable}`))[0]?.n);
    return `${mappedTable}_v`;
  };
  // A gzip part is decompressed by zlib too, while DuckDB reads it: DuckDB takes a stream cut
  // at a flush boundary (or with a bad CRC-32) for a shorter log. A part that is not whole is
  // refused before anything is stored, so the file, once complete, ingests as new.
  const gzipChecking = gz ? checkGzip(input.path, prevBytes, consumeTo) : undefined;
  gzipChecking?.catch(() => undefined);
  const refuseBrokenGzip = async () => {
    const check = await gzipChecking;
    if (check?.error) throw gzipRefusal(input.displayName, check, prevBytes, consumeTo);
  };
  let mapped: string;
  try {
    mapped = await readAndMap(request);
  } catch (error) {
    await refuseBrokenGzip();
    throw error;
  }
  await refuseBrokenGzip();
  let { hashes, loneCr, state } = await scanning;
  if (whole && changedSince(input.path, stat)) {
    // DuckDB read the file in place, and it grew (a writer appending) or was rewritten while
    // it did: rows past the bytes stat'ed and hashed may be in. Read again a copy of exactly
    // those bytes, hashed itself: what is stored is what the recorded size and SHA-256 cover,
    // and the next ingest reads on from there.
    options.progress?.(`${input.displayName} changed while it was read: reading its first ${consumeTo} bytes again`);
    const copy = await copyPart(input.path, 0, consumeTo, tmp);
    ({ hashes, loneCr, state } = await scanFile(copy, [consumeTo], lineFormat ? 0 : undefined));
    request.file = copy;
    mapped = await readAndMap(request);
  }
  if (loneCr) {
    // Rare: a CR alone inside a line. Read again from a copy where it is a space, so records
    // stay whole and line numbers right.
    mapped = await readAndMap({ ...request, file: await copyWithoutLoneCr(whole ? request.file : input.path, prevBytes, consumeTo, tmp) });
  }
  await store.run(`CREATE OR REPLACE TEMP TABLE ${rejectsTable} AS
    SELECT pos, line, reason FROM ${mapped} WHERE reason IS NOT NULL
    UNION ALL SELECT pos, line, reason FROM stage_rejects`);
  const rows = lines;
  const dropped = Number((await store.all(`SELECT count(DISTINCT d) AS n FROM stage_dropped`))[0]?.n);
  // Lines read: rows, plus lines that gave none, plus the header.
  const units = prevUnits + (csvHeaderLine ? 1 : 0) + rows + dropped;
  if (tail) {
    await store.run(`INSERT INTO ${rejectsTable} VALUES (${units + 1}, $raw, $r)`, { raw: tail.text.slice(0, 1 << 20), r: HELD_BACK });
  }
  await store.run(`CREATE OR REPLACE TEMP TABLE ${gapsTable} AS
    SELECT pos FROM ${mapped} WHERE reason IS NOT NULL OR blank OR skipped
    UNION SELECT pos FROM ${rejectsTable} UNION SELECT d FROM stage_dropped`);
  const counts = (await store.all(`SELECT
      (SELECT count(*) FROM ${gapsTable}) AS gaps,
      (SELECT count(*) FROM ${mappedTable} WHERE reason IS NULL AND NOT blank AND NOT skipped) AS ingested,
      (SELECT count(DISTINCT pos) FROM ${mapped} WHERE skipped) AS skipped,
      (SELECT count(*) FROM ${rejectsTable}) AS rejected`))[0]!;
  const header = csvHeaderLine && rows > 0 ? JSON.stringify(await csvHeader(store, request)) : staged.header;
  const ingested = Number(counts.ingested);
  const rejected = Number(counts.rejected);
  const skippedNow = Number(counts.skipped);
  const stored = storedMapping(existing);
  const skippedBefore = Number(stored.skipped ?? 0);
  // Derived ids (--map id=none) keep the prefix the source was first ingested with.
  const idPrefix = options.map?.id === NONE
    ? (options.idPrefix ?? stored.id_prefix ?? hashes.get(consumeTo)!.slice(0, 12))
    : undefined;
  return {
    ...staged,
    shaped: true, exploded: !!options.each?.length, idPrefix, skippedNow, skippedBefore,
    mappedTable: mapped,
    units,
    firstPos: prevUnits + (csvHeaderLine ? 1 : 0) + 1,
    rejected, header, sha256: hashes.get(consumeTo)!, hashState: state,
    hasGaps: Number(counts.gaps) > 0,
    summary: {
      ...staged.summary, ingested, rejected,
      ...(skippedNow > 0 ? { skipped: { count: skippedNow, what: SKIP_WHAT } } : {}),
    },
  };
}

/** The mapping a source was first ingested with (sources.mapping), as an object. */
function storedMapping(existing: SourceRow | undefined): { skipped?: number; id_prefix?: string; tz?: string } {
  if (!existing?.mapping) return {};
  return (typeof existing.mapping === 'string' ? JSON.parse(existing.mapping) : existing.mapping) as { skipped?: number; id_prefix?: string };
}

/** What a preset learns of the file beyond its records: the name as given, --date, --symbol, the zone. */
function presetContext(input: FileInput, preset: Preset, options: IngestOptions): PresetContext {
  return {
    fileName: input.kind === 'stdin' ? 'stdin' : (input.name ?? path.basename(input.path)),
    date: options.date, symbol: options.symbol, timeZone: marketTimeZone(preset, options),
  };
}

/** The zone a market-time preset reads its times in: --tz, else the preset's; undefined for other presets. */
export function marketTimeZone(preset: Preset, options: Pick<IngestOptions, 'timeZone'>): string | undefined {
  if (!preset.marketTimeZone) return undefined;
  return options.timeZone !== undefined ? checkTimeZone(options.timeZone) : preset.marketTimeZone;
}

/**
 * An appended part is read in the zone the source was first read in: another --tz, or a source
 * an older evtrail stored as UTC (no tz kept), would put two clocks in one source.
 */
function checkSameMarketTime(input: FileInput, existing: SourceRow, zone: string | undefined): void {
  if (zone === undefined) return;
  const mapping = (typeof existing.mapping === 'string' ? JSON.parse(existing.mapping) : (existing.mapping ?? {})) as { tz?: string };
  if (mapping.tz === zone) return;
  throw new UserError(
    mapping.tz === undefined
      ? `${input.displayName} was ingested by an older evtrail with its times read as UTC; it cannot be continued in ${zone} time`
      : `${input.displayName} was ingested with its times in ${mapping.tz}, now read in ${zone}`,
    mapping.tz === undefined ? 'ingest it into a new store (--db) to get the exchange\'s times' : `pass --tz ${mapping.tz}, or ingest into a new store (--db)`,
  );
}

/** Whether a file is no longer the one stat'ed (size, modification time or inode differ). */
function changedSince(file: string, before: fs.BigIntStats): boolean {
  const now = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
  return !now || now.size !== before.size || now.mtimeNs !== before.mtimeNs || now.ino !== before.ino;
}

function changedSource(input: FileInput, prevBytes: number): UserError {
  return new UserError(
    `${input.displayName} has changed since it was ingested: its first ${prevBytes} bytes differ from what the store holds`,
    'that is tampering or a different file; ingest it into a new store (--db) to compare',
  );
}

/** Appends one staged source: events in file order from seqBase + 1, rejects, bookkeeping. */
async function storeSource(store: Store, s: StagedSource, ingestId: number, seqBase: number, options: IngestOptions): Promise<void> {
  const { sourceId, mappedTable: m } = s;
  // seq = seqBase + the record's rank among this part's events. Without gaps that is its
  // position; with some, the count of gap positions before it is subtracted (an as-of join
  // against the few gaps instead of a window over every row). The as-of join moves a few rows
  // (2 of 16 blocks out of seq order per 1M lines with 20 bad ones), which the chain's hasher
  // puts back in order for the digests: cheaper than sorting every row here (+1.9 s per 1M).
  let seqExpr = `${seqBase} + (m.pos - ${s.firstPos} + 1)`;
  let join = '';
  const good = `m.reason IS NULL AND NOT m.blank${s.shaped ? ' AND NOT m.skipped' : ''}`;
  let from = `${m} m`;
  if (s.exploded) {
    // Several events per line: numbered in (line, element) order.
    from = `(SELECT *, row_number() OVER (ORDER BY pos, elem) AS evt_rank FROM ${m} WHERE reason IS NULL AND NOT blank AND NOT skipped) m`;
    seqExpr = `${seqBase} + m.evt_rank`;
  } else if (s.hasGaps) {
    seqExpr += ` - coalesce(g.n, 0)`;
    join = `ASOF LEFT JOIN (SELECT pos, row_number() OVER (ORDER BY pos) AS n FROM ${s.gapsTable}) g ON m.pos > g.pos`;
  }
  // --map id=none: an id from the source and the line (and the element's number): the same on
  // every ingest of the same bytes, so the duplicates rule still holds (README, Ingest).
  const id = s.idPrefix !== undefined
    ? `coalesce(m.id, ${sqlString(s.idPrefix + ':')} || m.pos::VARCHAR${s.exploded ? ` || coalesce(':' || m.elem::VARCHAR, '')` : ''})`
    : 'm.id';
  await store.run(`INSERT INTO events
    SELECT ${seqExpr}, ${id}, m.stream, m.rev, m.type, coalesce(m.schema_version, 1), m.ts, m.recorded_ts,
      m.correlation_id, m.causation_id, m.source, m.data, m.meta, ${sourceId}, m.pos, m.position,
      NULL, NULL, NULL
    FROM ${from} ${join} WHERE ${good}`);

  // A line held back last time is read again now: its old reject row goes.
  if (s.existing) {
    await store.run(`DELETE FROM rejects WHERE source_id = ${sourceId} AND source_pos >= ${s.firstPos} AND reason = $r`, { r: HELD_BACK });
  }
  await store.run(`INSERT INTO rejects SELECT ${sourceId}, pos, line, reason, ${ingestId} FROM ${s.rejectsTable}`);
  // The market's time zone (tz) is kept with the source: later commands read a time without an
  // offset (--at 10:31) as that zone's (src/store/time-zones.ts). file is the name as given.
  const preset = getPreset(options.preset ?? 'canonical');
  const tz = s.summary.preset === preset.name ? marketTimeZone(preset, options) : undefined;
  const mapping = JSON.stringify({
    preset: s.summary.preset, map: options.map ?? {}, date: options.date ?? null,
    ...(options.each?.length ? { each: options.each } : {}),
    ...(options.skip !== undefined ? { skip: options.skip } : {}),
    ...(s.idPrefix !== undefined ? { id_prefix: s.idPrefix } : {}),
    ...(s.skippedNow ? { skipped: s.skippedNow } : {}),
    ...(options.symbol !== undefined ? { symbol: options.symbol } : {}),
    ...(tz !== undefined ? { tz } : {}),
    ...(s.input.kind === 'file' && s.input.name !== undefined && s.input.name !== path.basename(s.input.path) ? { file: s.input.name } : {}),
  });
  const params = { bytes: s.consumeTo, sha: s.sha256, units: s.units, header: s.header, ingested: s.summary.ingested };
  if (s.existing) {
    await store.run(`UPDATE sources SET bytes = $bytes, sha256 = $sha, units = $units, header = $header,
        events = events + $ingested, rejects = (SELECT count(*) FROM rejects WHERE source_id = ${sourceId}),${s.skippedNow ? `
        mapping = json_merge_patch(mapping, json_object('skipped', ${(s.skippedBefore ?? 0) + s.skippedNow})),` : ''}
        last_ingested_at = timezone('UTC', now()) WHERE source_id = ${sourceId}`, params);
  } else {
    await store.run(`INSERT INTO sources VALUES (${sourceId}, $uri, $kind, $format, $preset, $mapping, $bytes, $sha, $units, $header,
        $ingested, (SELECT count(*) FROM rejects WHERE source_id = ${sourceId}), NULL, timezone('UTC', now()), timezone('UTC', now()))`,
      { ...params, uri: s.input.uri, kind: s.input.kind, format: s.summary.format, preset: s.summary.preset, mapping });
  }
  if (s.summary.ingested > 0) {
    s.summary.firstSeq = seqBase + 1;
    s.summary.lastSeq = seqBase + s.summary.ingested;
  }
  const table = m.replace(/_v$/, '');
  await store.run(`DROP VIEW IF EXISTS ${table}_v; DROP TABLE IF EXISTS ${table}_shift; DROP TABLE IF EXISTS ${table};
    DROP TABLE IF EXISTS ${s.rejectsTable}; DROP TABLE IF EXISTS ${s.gapsTable};`);
}

/**
 * What "same content" means for two events with one id: type, stream, revision, time and data
 * (metadata and recording time may differ between deliveries of one event). A time that is the
 * JetStream server's (the message had none of its own: ts = meta.$nats.time) is no content:
 * each delivery of such an event is stored at its own moment.
 */
const CONTENT_HASH = `md5(concat_ws(chr(31), type, coalesce(stream, ''), coalesce(rev::VARCHAR, ''),
  coalesce(CASE WHEN ts IS DISTINCT FROM evt_ts(json_extract_string(meta, '$."$nats".time')) THEN ts::VARCHAR END, ''), coalesce(data::VARCHAR, '')))`;

/**
 * Marks later occurrences of an event: a redelivery when its content equals the first
 * occurrence's, a conflict otherwise. Both are kept; only the events added after seqStart are
 * marked, against everything in the store.
 *
 * An event is its id, except for CloudEvents (sources ingested with --preset cloudevents,
 * files or JetStream): there it is `source` + `id` (CloudEvents 1.0: "Producers MUST ensure
 * that source + id is unique for each distinct event"), so two producers that number their
 * events alike are neither redeliveries nor conflicts. The stored id stays the CloudEvents id.
 */
export async function markDuplicates(
  store: Store, seqStart: number, staged: readonly { sourceId: number; summary: SourceSummary }[],
): Promise<void> {
  const cloudEvents = (await store.all(`SELECT source_id FROM sources WHERE preset = 'cloudevents' ORDER BY source_id`)).map((r) => Number(r.source_id));
  // The part of an event's identity besides its id: its source for CloudEvents, else none (NULL).
  const scope = cloudEvents.length > 0 ? `CASE WHEN source_id IN (${cloudEvents.join(', ')}) THEN source END` : null;
  // After the first ingest, only the ids the new events carry can be duplicates: a probe of
  // them, not an aggregate over every id in the store (a watch's batch would pay for the whole
  // store each time).
  const newIds = seqStart > 0 ? `WHERE id IN (SELECT id FROM events WHERE seq > ${seqStart})` : '';
  // Content hashes are computed only for ids that occur more than once: rare, and md5 of every
  // event would cost a fifth of the ingest.
  if (scope === null) {
    await store.run(`CREATE OR REPLACE TEMP TABLE evt_dup_ids AS
      SELECT id FROM events ${newIds} GROUP BY id HAVING count(*) > 1 AND max(seq) > ${seqStart}`);
    await store.run(`UPDATE events SET content_hash = ${CONTENT_HASH}
      WHERE content_hash IS NULL AND id IN (SELECT id FROM evt_dup_ids)`);
    await store.run(`UPDATE events SET dup_of = f.first_seq,
        dup_kind = CASE WHEN events.content_hash = f.first_hash THEN 'redelivery' ELSE 'conflict' END
      FROM (
        SELECT id, min(seq) AS first_seq, arg_min(content_hash, seq) AS first_hash FROM events
        WHERE id IN (SELECT id FROM evt_dup_ids) GROUP BY id
      ) f
      WHERE events.id = f.id AND events.seq > f.first_seq AND events.seq > ${seqStart}`);
  } else {
    await store.run(`CREATE OR REPLACE TEMP TABLE evt_dup_ids AS
      SELECT id, ${scope} AS scope FROM events ${newIds} GROUP BY ALL HAVING count(*) > 1 AND max(seq) > ${seqStart}`);
    await store.run(`UPDATE events SET content_hash = ${CONTENT_HASH}
      FROM evt_dup_ids d WHERE events.content_hash IS NULL AND events.id = d.id AND ${scope} IS NOT DISTINCT FROM d.scope`);
    await store.run(`UPDATE events SET dup_of = f.first_seq,
        dup_kind = CASE WHEN events.content_hash = f.first_hash THEN 'redelivery' ELSE 'conflict' END
      FROM (
        SELECT id, scope, min(seq) AS first_seq, arg_min(content_hash, seq) AS first_hash
        FROM (SELECT id, ${scope} AS scope, seq, content_hash FROM events WHERE id IN (SELECT id FROM evt_dup_ids))
        GROUP BY id, scope
      ) f
      WHERE events.id = f.id AND ${scope} IS NOT DISTINCT FROM f.scope AND events.seq > f.first_seq AND events.seq > ${seqStart}`);
  }
  await store.run(`DROP TABLE evt_dup_ids`);
  const rows = await store.all(`SELECT source_id,
      count(*) FILTER (WHERE dup_kind = 'redelivery') AS r, count(*) FILTER (WHERE dup_kind = 'conflict') AS c
    FROM events WHERE seq > ${seqStart} AND dup_kind IS NOT NULL GROUP BY source_id`);
  for (const row of rows) {
    const source = staged.find((s) => s.sourceId === Number(row.source_id));
    if (!source) continue;
    source.summary.redelivered = Number(row.r);
    source.summary.conflicts = Number(row.c);
  }
}

async function readHead(file: string): Promise<Buffer> {
  const handle = await fsp.open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
