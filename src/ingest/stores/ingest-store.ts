import type { EnvelopeField } from '../../core/envelope.js';
import { UserError } from '../../core/errors.js';
import { extendChain } from '../../integrity/chain-store.js';
import { MACROS_SQL } from '../../store/macros.js';
import type { Store } from '../../store/store.js';
import { VERSION } from '../../version.js';
import { markDuplicates, summarize, type IngestSummary, type SourceSummary } from '../ingest.js';
import { buildMapSql } from '../map-sql.js';
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
  /** Fills STAGE_TABLE with (pos, line) for every record after `checkpoint`; returns the last position read. */
  read(store: Store, checkpoint: string | null, progress?: (message: string) => void): Promise<StoreRead>;
  resolveCausation?: boolean;
  /** Whether holes in the positions mean something (not with a subject filter: other subjects fill them). */
  reportGaps: boolean;
}

export interface StoreRead {
  rows: number;
  /** The largest position read; null when nothing new. */
  last: string | null;
  /** Removes what the read left besides the stage (a temp file). */
  cleanup?: () => void | Promise<void>;
}

export interface StoreIngestOptions {
  strict?: boolean;
  progress?: (message: string) => void;
}

const MAPPED = 'evt_store_mapped';

/**
 * Ingests what an event store holds after the source's checkpoint. The reader stages the rows
 * (outside any DuckDB transaction: nothing there is the store's), they are mapped with the
 * preset like file records, then one transaction appends the events, the rejects and the new
 * checkpoint together: a crash or an error at any point leaves the store as it was, and a rerun
 * starts from the last committed checkpoint, so no event is lost or doubled.
 */
export async function ingestStore(store: Store, source: StoreSource, options: StoreIngestOptions = {}): Promise<IngestSummary> {
  await store.run(MACROS_SQL);
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
    firstSeq: null, lastSeq: null, checkpoint, gaps: { count: 0, missing: 0, first: null },
  };
  let read: StoreRead | undefined;
  try {
    options.progress?.(`reading ${source.displayName}`);
    const got = await source.read(store, checkpoint, options.progress);
    read = got;
    if (got.rows === 0 || got.last === null) {
      summary.status = 'unchanged';
      return summarize([summary]);
    }
    summary.checkpoint = got.last;

    options.progress?.(`mapping ${source.displayName}`);
    const mapSql = buildMapSql(source.preset, source.map, { fileName: source.displayName }, STAGE_TABLE);
    await store.run(`CREATE OR REPLACE TEMP TABLE ${MAPPED} AS
      SELECT * REPLACE (CASE WHEN reason IS NULL THEN NULL ELSE line END AS line) FROM (${mapSql})`);
    // Holes in the positions after the checkpoint (a sequence skips numbers on rollback).
    if (source.reportGaps) {
      const gaps = (await store.all(`SELECT count(*) FILTER (WHERE pos - prev > 1) AS n, coalesce(sum(pos - prev - 1) FILTER (WHERE pos - prev > 1), 0) AS missing,
        min(prev + 1) FILTER (WHERE pos - prev > 1) AS first
      FROM (SELECT pos, lag(pos, 1, ${checkpoint === null ? 0 : BigInt(checkpoint)}) OVER (ORDER BY pos) AS prev FROM ${MAPPED})`))[0]!;
      summary.gaps = { count: Number(gaps.n), missing: Number(gaps.missing), first: gaps.first === null ? null : String(gaps.first) };
    }
    await dropStage(store);
    const sourceId = existing ? Number(existing.source_id) : Number((await store.all(`SELECT coalesce(max(source_id), 0) + 1 AS n FROM sources`))[0]?.n);
    if (source.resolveCausation) await resolveMessageDbCausation(store, MAPPED, sourceId);

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

    const units = (existing ? Number(existing.units) : 0) + got.rows;
    await store.transaction(async () => {
      options.progress?.(`storing ${source.displayName}`);
      const ingestId = Number((await store.all(`SELECT coalesce(max(ingest_id), 0) + 1 AS n FROM ingests`))[0]?.n);
      const seqBase = Number((await store.all(`SELECT coalesce(max(seq), 0) AS n FROM events`))[0]?.n);
      // seq in position order: the mapped rows are in it (the stage is), so a row's seq is its
      // rank there, less the rejects before it (an as-of join against the few rejects, no sort).
      // source_pos is the record's position in the store it came from.
      const firstRow = String((await store.all(`SELECT coalesce(min(rowid), 0) AS r FROM ${MAPPED}`))[0]?.r ?? 0);
      const rank = `(m.rowid - ${firstRow} + 1)`;
      await store.run(`INSERT INTO events
        SELECT ${seqBase} + ${rank}${summary.rejected > 0 ? ' - coalesce(g.n, 0)' : ''}, m.id, m.stream, m.rev, m.type, coalesce(m.schema_version, 1), m.ts, m.recorded_ts,
          m.correlation_id, ${source.resolveCausation ? 'coalesce(c.id, m.causation_id::VARCHAR)' : 'm.causation_id'}, m.source, m.data, m.meta,
          ${sourceId}, m.pos, coalesce(m.position, m.pos), NULL, NULL, NULL
        FROM ${MAPPED} m
        ${summary.rejected > 0 ? `ASOF LEFT JOIN (SELECT rowid - ${firstRow} + 1 AS r, row_number() OVER (ORDER BY rowid) AS n FROM ${MAPPED} WHERE reason IS NOT NULL) g ON ${rank} > g.r` : ''}
        ${source.resolveCausation ? `LEFT JOIN ${CAUSES_TABLE} c ON c.pos = m.pos` : ''}
        WHERE m.reason IS NULL`);
      await store.run(`INSERT INTO rejects SELECT ${sourceId}, pos, line, reason, ${ingestId} FROM ${MAPPED} WHERE reason IS NOT NULL ORDER BY pos`);
      const params = { uri: source.uri, kind: source.kind, preset: source.preset.name, mapping, units, cp: got.last, n: summary.ingested };
      if (existing) {
        await store.run(`UPDATE sources SET units = $units, checkpoint = $cp, events = events + $n,
            rejects = (SELECT count(*) FROM rejects WHERE source_id = ${sourceId}), last_ingested_at = timezone('UTC', now())
          WHERE source_id = ${sourceId}`, { units, cp: got.last, n: summary.ingested });
      } else {
        await store.run(`INSERT INTO sources VALUES (${sourceId}, $uri, $kind, $kind, $preset, $mapping, 0, NULL, $units, NULL,
            $n, (SELECT count(*) FROM rejects WHERE source_id = ${sourceId}), $cp, timezone('UTC', now()), timezone('UTC', now()))`, params);
      }
      if (summary.ingested > 0) {
        summary.firstSeq = seqBase + 1;
        summary.lastSeq = seqBase + summary.ingested;
        options.progress?.('checking ids');
        await markDuplicates(store, seqBase, [{ sourceId, summary }]);
        await extendChain(store, seqBase);
      }
      await store.run(`INSERT INTO ingests VALUES (${ingestId}, ${sourceId}, timezone('UTC', now()), $v, NULL, NULL,
          ${summary.firstSeq ?? 'NULL'}, ${summary.lastSeq ?? 'NULL'}, ${summary.ingested}, ${summary.rejected}, ${summary.redelivered}, ${summary.conflicts})`, { v: VERSION });
    });
    return summarize([summary]);
  } finally {
    await dropStage(store);
    await store.run(`DROP TABLE IF EXISTS ${MAPPED}; DROP TABLE IF EXISTS ${CAUSES_TABLE};`).catch(() => undefined);
    await read?.cleanup?.();
  }
}

/** The stage is a table (filled through the appender) or a view (over a file the reader wrote). */
async function dropStage(store: Store): Promise<void> {
  const kind = (await store.all(`SELECT table_type FROM information_schema.tables WHERE table_name = '${STAGE_TABLE}' AND table_catalog = 'temp'`))[0]?.table_type;
  if (kind === 'VIEW') await store.run(`DROP VIEW ${STAGE_TABLE}`);
  else if (kind) await store.run(`DROP TABLE ${STAGE_TABLE}`);
}

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}
