/**
 * The overview's reads: what `evtrail info` says (the part the overview shows), the store's
 * bounds with it, and events per time bucket for a sparkline. The counts that need a scan of the
 * events (types, streams, the sparkline) are read after the first frame, one by one. They are
 * the first screen's, so they use no macro (the macros are defined after) and no module beyond the store's: times come
 * back as epoch nanoseconds and are formatted here.
 */
import { sourcesInfo, type StoreInfo } from '../../../info/info.js';
import { formatIsoNs, type StoreBounds } from '../../../core/time.js';
import { storeTimeZones } from '../../../store/time-zones.js';
import type { Store } from '../../../store/store.js';

/** The first frame's part of `evtrail info`. */
export type OverviewInfo = Pick<StoreInfo, 'events' | 'rejects' | 'redelivered' | 'conflicts' | 'firstTs' | 'lastTs' | 'sources'>;
/** The part that scans the events, read after the first frame. */
export type OverviewDetails = Pick<StoreInfo, 'streams' | 'types' | 'typeCounts'>;

export interface Overview {
  info: OverviewInfo;
  /** Read after the first frame: absent until then. */
  details?: Partial<OverviewDetails>;
  /** Events per equal slice of the log's time range, first to last (read after the rest). */
  buckets?: number[];
}

/** Types listed at most (a screenful). */
const TYPES_SHOWN = 40;

/** Events in `n` equal slices of [first ts, last ts]: one scan, grouped in DuckDB. */
export async function eventBuckets(store: Store, n: number): Promise<number[]> {
  // Bucket arithmetic in DOUBLE: exact nanoseconds do not matter for a chart, and HUGEINT
  // arithmetic over every event costs several times more.
  const rows = await store.all(`WITH r AS (SELECT epoch_ns(min(ts))::DOUBLE AS lo, greatest(epoch_ns(max(ts))::DOUBLE - epoch_ns(min(ts))::DOUBLE, 1) AS span FROM events)
    SELECT least(${n - 1}, floor((epoch_ns(ts) - r.lo) * ${n} / r.span))::INTEGER AS b, count(*)::INTEGER AS c
    FROM events, r WHERE ts IS NOT NULL GROUP BY b`);
  const out = Array.from({ length: n }, () => 0);
  for (const r of rows) out[Number(r.b)] = Number(r.c);
  return out;
}

const iso = (v: unknown): string | null => (typeof v === 'string' ? formatIsoNs(BigInt(v)) : null);

/**
 * The first screen's reads, cheap at any size: the counts the ingests kept (events and rejects
 * per source, redeliveries and conflicts per ingest) and the time and seq bounds, which DuckDB
 * answers from its row-group statistics. Nothing here scans the events' columns: at 10M events
 * the per-type and per-stream counts cost ~0.5 s, and come after the first frame (readDetails).
 */
export async function readOverview(store: Store): Promise<{ overview: Overview; bounds: StoreBounds }> {
  const [t] = await store.all(`SELECT count(*)::BIGINT::VARCHAR AS events,
      epoch_ns(min(ts))::VARCHAR AS lo, epoch_ns(max(ts))::VARCHAR AS hi, max(seq)::VARCHAR AS last_seq,
      (SELECT count(*) FROM rejects)::BIGINT::VARCHAR AS rejects,
      (SELECT coalesce(sum(redelivered), 0) FROM ingests)::BIGINT::VARCHAR AS redelivered,
      (SELECT coalesce(sum(conflicts), 0) FROM ingests)::BIGINT::VARCHAR AS conflicts
    FROM events`);
  const firstTs = iso(t?.lo);
  const lastTs = iso(t?.hi);
  const info: OverviewInfo = {
    events: Number(t?.events ?? 0),
    rejects: Number(t?.rejects ?? 0),
    redelivered: Number(t?.redelivered ?? 0),
    conflicts: Number(t?.conflicts ?? 0),
    firstTs,
    lastTs,
    sources: await sourcesInfo(store),
  };
  const lastSeq = typeof t?.last_seq === 'string' ? BigInt(t.last_seq) : null;
  return { overview: { info }, bounds: { firstTs, lastTs, lastSeq, timeZones: await storeTimeZones(store) } };
}

/** Events per type (the first TYPES_SHOWN) with their schema versions, and how many types. */
export async function readTypes(store: Store): Promise<Pick<OverviewDetails, 'types' | 'typeCounts'>> {
  // Grouped by (type, version) first and the few groups merged after: a DISTINCT aggregate per
  // type over every event costs about three times more.
  const rows = await store.all(`WITH g AS (SELECT type, schema_version AS v, count(*) AS n FROM events GROUP BY ALL),
      t AS (SELECT type, sum(n) AS n, string_agg(v::VARCHAR, ',' ORDER BY v::VARCHAR) AS versions FROM g GROUP BY type)
    SELECT type, n::BIGINT::VARCHAR AS n, versions, count(*) OVER ()::INTEGER AS types FROM t ORDER BY t.n DESC, type LIMIT ${TYPES_SHOWN}`);
  return {
    types: Number(rows[0]?.types ?? 0),
    typeCounts: rows.map((r) => ({ type: String(r.type), events: Number(r.n), versions: String(r.versions) })),
  };
}

/** Distinct streams: a hash of every event's stream (~0.2 s at 10M events). */
export async function readStreams(store: Store): Promise<number> {
  const [r] = await store.all(`SELECT count(DISTINCT stream)::BIGINT::VARCHAR AS n FROM events`);
  return Number(r?.n ?? 0);
}
