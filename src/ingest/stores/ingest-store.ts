import type { EnvelopeField } from '../../core/envelope.js';
import { UserError } from '../../core/errors.js';
import { extendChain } from '../../integrity/chain-store.js';
import { chainRejects } from '../../integrity/records-check.js';
import type { Store } from '../../store/store.js';
import { VERSION } from '../../version.js';
import { markDuplicates, summarize, type IngestSummary, type SourceSummary } from '../ingest.js';
import { buildMapSql } from '../map-sql.js';
import type { RecordColumn } from '../mapping.js';
import type { Preset } from '../presets/preset.js';
import { CAUSES_TABLE, resolveMessageDbCausation } from './causation.js';
import { STAGE_TABLE } from './stage.js';

/** One event-store source: who it is, and how to read what follows a checkpoint into the stage table. */
export interface StoreSource {
  kind: 'postgres' | 'nats';
  uri: string;
  displayName: string;
  preset: Preset;
  /** The user's --map (replaces the preset's candidates for those fields). */
  map: Partial<Record<EnvelopeField, string>>;
  /** Settings that identify the reading (layout, subject filter …), kept in sources.mapping. */
  settings: Record<string, unknown>;
  /**
   * Fills STAGE_TABLE with every record after the checkpoint, and those in the gaps still open
   * (PostgreSQL); returns the last position read.
   */
  read(store: Store, from: ReadFrom, progress?: (message: string) => void): Promise<StoreRead>;
  resolveCausation?: boolean;
  /** Whether holes in the positions mean something (not with a subject filter: other subjects fill them). */
  reportGaps: boolean;
  /** Ends what a followed source keeps between reads (watch: the JetStream consumer). */
  close?(): Promise<void>;
}

/** Where a read starts: after the checkpoint, plus the gaps earlier reads left open. */
export interface ReadFrom {
  checkpoint: string | null;
  gaps: readonly OpenGap[];
}

/** Positions lo..hi found missing while transactions older than horizon still ran (table source_gaps). */
export interface OpenGap {
  lo: string;
  hi: string;
  horizon: string;
}

export interface StoreRead {
  rows: number;
  /** The largest position read; null when nothing new. */
  last: string | null;
  /** Removes what the read left besides the stage (a temp file). */
  cleanup?: () => void | Promise<void>;
  /**
   * The server's transactions when the read's snapshot was taken (PostgreSQL 13+): xmin, the
   * oldest still running, and xmax, the first not yet started (xid8, as text). Equal when none ran.
   */
  horizon?: { xmin: string; xmax: string };
  /** The stage holds table rows, one column each (PostgreSQL), instead of (pos, line) JSON records. */
  columns?: readonly RecordColumn[];
  /**
   * Rows after the checkpoint the store's own visibility rule holds back (Emmett: written by a
   * transaction not older than the oldest one still running): read by a later ingest.
   */
  held?: number;
  /** Rows read past that are not events (Marten's tombstones): what they are, and their positions. */
  skipped?: { what: string; positions: readonly string[] };
  /**
   * A relation (pos, raw) with each record as the store holds it, when the staged line is more
   * than that (JetStream adds the message's subject, time and headers): a reject keeps the raw
   * text. Read only for parts that have rejects.
   */
  rejectRaw?: string;
}

export interface StoreIngestOptions {
  strict?: boolean;
  progress?: (message: string) => void;
}

const MAPPED = 'evt_store_mapped';
/** The positions of the rows read past that are not events (StoreRead.skipped): no gaps. */
const SKIPPED = 'evt_store_skipped';
/** The gaps to keep open after this read: (lo, hi, horizon). */
const OPEN_GAPS = 'evt_store_open_gaps';

/**
 * Ingests what an event store holds after the source's checkpoint (and in the gaps earlier
 * reads left open). The reader stages the rows (outside any DuckDB transaction: nothing there
 * is the store's), they are mapped with the preset like file records, then each part of them
 * is appended in one transaction with its rejects and its checkpoint: a crash or an error at
 * any point leaves the store as it was after the last part committed, and a rerun starts from
 * that checkpoint, so no event is lost or doubled.
 */
export async function ingestStore(store: Store, source: StoreSource, options: StoreIngestOptions = {}): Promise<IngestSummary> {
  await store.defineMacros();
  const existing = (await store.all(`SELECT source_id, kind, preset, mapping::VARCHAR AS mapping, checkpoint, units FROM sources WHERE uri = $uri`, { uri: source.uri }))[0];
  if (existing && existing.preset !== source.preset.name) {
    throw new UserError(
      `${source.displayName} was ingested with --preset ${existing.preset}, now read with ${source.preset.name}`,
      `pass --preset ${existing.preset}, or ingest into a new store (--db)`,
    );
  }
  const mapping = JSON.stringify({ preset: source.preset.name, map: source.map, ...source.settings });
  if (existing && existing.mapping !== null && !sameJson(String(existing.mapping), mapping)) {
    throw new UserError(
      `${source.displayName} was ingested with another mapping (${existing.mapping})`,
      'pass the same --map / --subject as before, or ingest into a new store (--db)',
    );
  }
  const checkpoint = existing ? ((existing.checkpoint as string | null) ?? null) : null;
  const summary: SourceSummary = {
    source: source.displayName, uri: source.uri, format: source.kind, preset: source.preset.name,
    status: existing ? 'appended' : 'new', ingested: 0, rejected: 0, redelivered: 0, conflicts: 0,
    firstSeq: null, lastSeq: null, checkpoint, gaps: { count: 0, missing: 0, first: null, open: 0, filled: 0 },
  };
  const sourceId = existing ? Number(existing.source_id) : Number((await store.all(`SELECT coalesce(max(source_id), 0) + 1 AS n FROM sources`))[0]?.n);
  const openGaps: OpenGap[] = existing
    ? (await store.all(`SELECT lo, hi, horizon FROM source_gaps WHERE source_id = ${sourceId} ORDER BY lo`)).map((r) => ({ lo: String(r.lo), hi: String(r.hi), horizon: String(r.horizon) }))
    : [];
  let read: StoreRead | undefined;
  try {
    options.progress?.(`reading ${source.displayName}`);
    const got = await source.read(store, { checkpoint, gaps: openGaps }, options.progress);
    read = got;
    if (got.held) summary.held = got.held;
    if (got.rows === 0 || got.last === null) {
      summary.status = 'unchanged';
      // Nothing new, and nothing came to fill the open gaps: those whose transactions are over
      // close (findGaps' rule, without rows to cut them).
      if (openGaps.length > 0 && got.horizon) {
        await store.transaction(() => store.run(`DELETE FROM source_gaps WHERE source_id = ${sourceId} AND ${closedGap(got.horizon!)}`));
      }
      summary.gaps!.open = Number((await store.all(`SELECT count(*) AS n FROM source_gaps WHERE source_id = ${sourceId}`))[0]!.n);
      return summarize([summary]);
    }
    summary.checkpoint = got.last;

    options.progress?.(`mapping ${source.displayName}`);
    const mapSql = buildMapSql(source.preset, source.map, { fileName: source.displayName }, STAGE_TABLE, got.columns);
    await store.run(`CREATE OR REPLACE TEMP TABLE ${MAPPED} AS
      SELECT * REPLACE (CASE WHEN reason IS NULL THEN NULL ELSE line END AS line) FROM (${mapSql})`);
    if (got.skipped && got.skipped.positions.length > 0) {
      summary.skipped = { count: got.skipped.positions.length, what: got.skipped.what };
      await store.run(`CREATE OR REPLACE TEMP TABLE ${SKIPPED} AS SELECT unnest([${got.skipped.positions.map((p) => BigInt(p)).join(', ')}]::BIGINT[]) AS pos`);
    }
    if (source.reportGaps) summary.gaps = await findGaps(store, sourceId, checkpoint, got.horizon, summary.skipped !== undefined);
    if (source.preset.name === 'marten') {
      const archived = Number((await store.all(`SELECT count(*) AS n FROM ${MAPPED} WHERE reason IS NULL AND json_extract(meta, '$.marten.is_archived') = 'true'::JSON`))[0]!.n);
      if (archived > 0) summary.archived = archived;
    }
    await dropStage(store);
    if (source.resolveCausation) {
      options.progress?.(`resolving causation in ${source.displayName}`);
      await resolveMessageDbCausation(store, MAPPED, sourceId);
    }

    const counts = (await store.all(`SELECT count(*) FILTER (WHERE reason IS NULL) AS ok, count(*) FILTER (WHERE reason IS NOT NULL) AS bad FROM ${MAPPED}`))[0]!;
    summary.ingested = Number(counts.ok);
    summary.rejected = Number(counts.bad);
    if (options.strict && summary.rejected > 0) {
      const row = (await store.all(`SELECT pos, reason FROM ${MAPPED} WHERE reason IS NOT NULL ORDER BY pos LIMIT 1`))[0];
      throw new UserError(
        `--strict: ${summary.rejected} record(s) rejected in ${source.displayName}` + (row ? ` (first: position ${row.pos}: ${row.reason})` : '') + '; the store is unchanged',
        'run without --strict to keep the good records and list the bad ones with evtrail rejects',
      );
    }

    // The mapped rows (in position order: rowid order) are appended in parts of partRows(),
    // one transaction each with its checkpoint: a crash loses at most the part being written,
    // and a rerun goes on from the last part committed.
    const bounds = (await store.all(`SELECT min(rowid) AS lo, max(rowid) AS hi FROM ${MAPPED}`))[0]!;
    const firstRow = BigInt(String(bounds.lo));
    const lastRow = BigInt(String(bounds.hi));
    const size = BigInt(partRows());
    const parts = Number((lastRow - firstRow) / size) + 1;
    let units = existing ? Number(existing.units) : 0;
    let known = existing !== undefined;
    for (let k = 0; k < parts; k++) {
      const from = firstRow + BigInt(k) * size;
      const to = k === parts - 1 ? lastRow : from + size - 1n;
      const part = await appendPart(store, source, {
        sourceId, known, mapping, from, to, checkpoint, last: k === parts - 1 ? got.last : null,
        keepGaps: source.reportGaps && got.horizon !== undefined, resolveCausation: source.resolveCausation ?? false, rejectRaw: got.rejectRaw,
        units, progress: options.progress, label: parts > 1 ? ` (part ${k + 1} of ${parts})` : '',
      });
      known = true;
      units = part.units;
      if (part.ingested > 0) {
        summary.firstSeq ??= part.firstSeq;
        summary.lastSeq = part.lastSeq;
      }
      summary.redelivered += part.redelivered;
      summary.conflicts += part.conflicts;
    }
    return summarize([summary]);
  } finally {
    await dropStage(store);
    await store.run(`DROP TABLE IF EXISTS ${MAPPED}; DROP TABLE IF EXISTS ${CAUSES_TABLE}; DROP TABLE IF EXISTS ${OPEN_GAPS}; DROP TABLE IF EXISTS ${SKIPPED};`).catch(() => undefined);
    await read?.cleanup?.();
  }
}

/** Rows per part (EVTRAIL_STORE_PART: tests make it small to cover the parts). */
const partRows = () => Number(process.env.EVTRAIL_STORE_PART) || 2_000_000;

interface PartRequest {
  sourceId: number;
  /** Whether the sources row exists (written by an earlier ingest or part). */
  known: boolean;
  mapping: string;
  /** The mapped rows of this part: rowid from..to. */
  from: bigint;
  to: bigint;
  /** The checkpoint the read started from. */
  checkpoint: string | null;
  /** The read's last position, for the last part; null for the others (their own last position). */
  last: string | null;
  keepGaps: boolean;
  resolveCausation: boolean;
  rejectRaw?: string;
  /** Units (records read) of the source before this part. */
  units: number;
  progress?: (message: string) => void;
  label: string;
}

interface PartResult {
  ingested: number;
  firstSeq: number;
  lastSeq: number;
  redelivered: number;
  conflicts: number;
  units: number;
}

/**
 * One transaction: a part's events (seq in position order: its rank among the part's rows, less
 * the rejects before it, an as-of join against the few rejects, no sort), its rejects, the gaps
 * open up to its checkpoint, the source's row and checkpoint, duplicate marks, the chain and the
 * events' hashes, and the ingests row.
 */
async function appendPart(store: Store, source: StoreSource, p: PartRequest): Promise<PartResult> {
  const inPart = `rowid BETWEEN ${p.from} AND ${p.to}`;
  const counts = (await store.all(`SELECT count(*) FILTER (WHERE reason IS NULL) AS ok, count(*) FILTER (WHERE reason IS NOT NULL) AS bad,
    count(*) AS n, max(pos) AS last FROM ${MAPPED} WHERE ${inPart}`))[0]!;
  const ingested = Number(counts.ok);
  const rejected = Number(counts.bad);
  const units = p.units + Number(counts.n);
  // A part's checkpoint: the read's last position for the last part, else the part's last
  // position (never below the checkpoint read from: the first part may hold only gap rows).
  const partLast = BigInt(String(counts.last));
  const cp = p.last ?? String(p.checkpoint !== null && BigInt(p.checkpoint) > partLast ? BigInt(p.checkpoint) : partLast);
  const result: PartResult = { ingested, firstSeq: 0, lastSeq: 0, redelivered: 0, conflicts: 0, units };
  await store.transaction(async () => {
    p.progress?.(`storing ${source.displayName}${p.label}`);
    const ingestId = Number((await store.all(`SELECT coalesce(max(ingest_id), 0) + 1 AS n FROM ingests`))[0]?.n);
    const seqBase = Number((await store.all(`SELECT coalesce(max(seq), 0) AS n FROM events`))[0]?.n);
    const rank = `(m.rowid - ${p.from} + 1)`;
    const rows = `SELECT ${seqBase} + ${rank}${rejected > 0 ? ' - coalesce(g.n, 0)' : ''} AS seq, m.id, m.stream, m.rev, m.type,
        coalesce(m.schema_version, 1) AS schema_version, m.ts, m.recorded_ts, m.correlation_id,
        ${p.resolveCausation ? 'coalesce(c.id, m.causation_id::VARCHAR)' : 'm.causation_id'} AS causation_id, m.source, m.data, m.meta, m.pos, m.position
      FROM ${MAPPED} m
      ${rejected > 0 ? `ASOF LEFT JOIN (SELECT rowid - ${p.from} + 1 AS r, row_number() OVER (ORDER BY rowid) AS n FROM ${MAPPED} WHERE reason IS NOT NULL AND ${inPart}) g ON ${rank} > g.r` : ''}
      ${p.resolveCausation ? `LEFT JOIN ${CAUSES_TABLE} c ON c.pos = m.pos` : ''}
      WHERE m.reason IS NULL AND m.${inPart}`;
    // Not sorted by seq: the joins move a few rows of most blocks (the causation join: 14 of 16
    // per 1M), which the chain's block reader puts back in order for the digests; sorting here
    // ran out of memory at 10M rows (as did writing the causes into the mapped rows with an UPDATE).
    await store.run(`INSERT INTO events
      SELECT seq, id, stream, rev, type, schema_version, ts, recorded_ts, correlation_id, causation_id, source, data, meta,
        ${p.sourceId}, pos, coalesce(position, pos), NULL, NULL, NULL
      FROM (${rows})`);
    await store.run(p.rejectRaw && rejected > 0
      ? `INSERT INTO rejects SELECT ${p.sourceId}, m.pos, coalesce(r.raw, m.line), m.reason, ${ingestId}
          FROM ${MAPPED} m LEFT JOIN (${p.rejectRaw}) r ON r.pos = m.pos WHERE m.reason IS NOT NULL AND m.${inPart} ORDER BY m.pos`
      : `INSERT INTO rejects SELECT ${p.sourceId}, pos, line, reason, ${ingestId} FROM ${MAPPED} WHERE reason IS NOT NULL AND ${inPart} ORDER BY pos`);
    if (p.keepGaps) {
      await store.run(`DELETE FROM source_gaps WHERE source_id = ${p.sourceId}`);
      await store.run(`INSERT INTO source_gaps SELECT ${p.sourceId}, lo, hi, horizon FROM ${OPEN_GAPS} WHERE lo <= ${BigInt(cp)} ORDER BY lo`);
    }
    if (p.known) {
      await store.run(`UPDATE sources SET units = $units, checkpoint = $cp, events = events + $n,
          rejects = (SELECT count(*) FROM rejects WHERE source_id = ${p.sourceId}), last_ingested_at = timezone('UTC', now())
        WHERE source_id = ${p.sourceId}`, { units, cp, n: ingested });
    } else {
      await store.run(`INSERT INTO sources VALUES (${p.sourceId}, $uri, $kind, $kind, $preset, $mapping, 0, NULL, $units, NULL,
          $n, (SELECT count(*) FROM rejects WHERE source_id = ${p.sourceId}), $cp, timezone('UTC', now()), timezone('UTC', now()))`,
        { uri: source.uri, kind: source.kind, preset: source.preset.name, mapping: p.mapping, units, cp, n: ingested });
    }
    const summary: SourceSummary = {
      source: source.displayName, uri: source.uri, format: source.kind, preset: source.preset.name, status: 'new',
      ingested, rejected, redelivered: 0, conflicts: 0, firstSeq: null, lastSeq: null,
    };
    if (ingested > 0) {
      result.firstSeq = seqBase + 1;
      result.lastSeq = seqBase + ingested;
      p.progress?.(`checking ids${p.label}`);
      await markDuplicates(store, seqBase, [{ sourceId: p.sourceId, summary }]);
      result.redelivered = summary.redelivered;
      result.conflicts = summary.conflicts;
      p.progress?.(`chaining${p.label}`); // and hashing each event (extendChain)
      await extendChain(store, seqBase);
    }
    await store.run(`INSERT INTO ingests VALUES (${ingestId}, ${p.sourceId}, timezone('UTC', now()), $v, NULL, NULL,
        ${ingested > 0 ? result.firstSeq : 'NULL'}, ${ingested > 0 ? result.lastSeq : 'NULL'}, ${ingested}, ${rejected}, ${result.redelivered}, ${result.conflicts})`, { v: VERSION });
    await chainRejects(store, ingestId);
    p.progress?.(`committing${p.label}`);
  });
  return result;
}

/**
 * The holes in what this read found after the checkpoint (a sequence skips a number on
 * rollback, and hands one out before its transaction commits), and the gaps to keep open into
 * OPEN_GAPS: the new holes, when transactions were running as the read began (one of them may
 * still commit a row there), and what is left of the gaps open before, unless every
 * transaction that could fill them is over (their horizon ≤ the read's xmin: what they wrote
 * was visible to this read, and read). Rows read from the gaps (pos ≤ checkpoint) are `filled`.
 */
async function findGaps(store: Store, sourceId: number, checkpoint: string | null, horizon: StoreRead['horizon'], withSkipped = false): Promise<NonNullable<SourceSummary['gaps']>> {
  const cp = checkpoint === null ? 0n : BigInt(checkpoint);
  // The positions present: the rows mapped, and the rows skipped (they hold their positions).
  const present = withSkipped ? `(SELECT pos FROM ${MAPPED} UNION ALL SELECT pos FROM ${SKIPPED})` : MAPPED;
  await store.run(`CREATE OR REPLACE TEMP TABLE evt_store_holes AS
    SELECT prev + 1 AS lo, pos - 1 AS hi FROM (SELECT pos, lag(pos, 1, ${cp}) OVER (ORDER BY pos) AS prev FROM ${present} WHERE pos > ${cp}) WHERE pos - prev > 1`);
  const running = horizon !== undefined && horizon.xmin !== horizon.xmax;
  await store.run(`CREATE OR REPLACE TEMP TABLE ${OPEN_GAPS} AS
    WITH g AS (SELECT lo, hi, horizon FROM source_gaps WHERE source_id = ${sourceId}),
    cuts AS (
      SELECT g.lo AS gap, g.horizon, m.pos FROM g JOIN ${present} m ON m.pos BETWEEN g.lo AND g.hi
      UNION ALL SELECT lo, horizon, lo - 1 FROM g
      UNION ALL SELECT lo, horizon, hi + 1 FROM g
    ), left_over AS (
      SELECT prev + 1 AS lo, pos - 1 AS hi, horizon FROM (SELECT gap, horizon, pos, lag(pos) OVER (PARTITION BY gap ORDER BY pos) AS prev FROM cuts) WHERE pos - prev > 1
    )
    SELECT lo, hi, horizon FROM left_over ${horizon ? `WHERE NOT ${closedGap(horizon)}` : ''}
    ${running ? `UNION ALL SELECT lo, hi, '${BigInt(horizon.xmax)}' FROM evt_store_holes` : ''}`);
  const r = (await store.all(`SELECT (SELECT count(*) FROM evt_store_holes) AS n, (SELECT coalesce(sum(hi - lo + 1), 0) FROM evt_store_holes) AS missing,
    (SELECT min(lo) FROM evt_store_holes) AS first, (SELECT count(*) FROM ${OPEN_GAPS}) AS open,
    (SELECT count(*) FROM ${MAPPED} WHERE pos <= ${cp}) AS filled`))[0]!;
  await store.run(`DROP TABLE evt_store_holes`);
  return { count: Number(r.n), missing: Number(r.missing), first: r.first === null ? null : String(r.first), open: Number(r.open), filled: Number(r.filled) };
}

/**
 * SQL: a source_gaps row is closed once no transaction that ran when it was found still runs
 * (its horizon ≤ the read's xmin): whatever filled it was visible to this read.
 */
function closedGap(horizon: NonNullable<StoreRead['horizon']>): string {
  return `horizon::HUGEINT <= ${BigInt(horizon.xmin)}`;
}

/** The stage is a view over the files the reader wrote (stage.ts). */
async function dropStage(store: Store): Promise<void> {
  await store.run(`DROP VIEW IF EXISTS ${STAGE_TABLE}`);
}

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}
