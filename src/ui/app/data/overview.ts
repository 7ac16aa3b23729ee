/**
 * The overview's reads: what `evtrail info` says (the part the overview shows), the store's
 * bounds with it, and events per time bucket for a sparkline. They are the first screen's, so
 * they use no macro (the macros are defined after) and no module beyond the store's: times come
 * back as epoch nanoseconds and are formatted here.
 */
import type { StoreInfo } from '../../../info/info.js';
import { formatIsoNs, type StoreBounds } from '../../../replay/at.js';
import type { Store } from '../../../store/store.js';

export type OverviewInfo = Pick<StoreInfo, 'events' | 'rejects' | 'redelivered' | 'conflicts' | 'streams' | 'types' | 'firstTs' | 'lastTs' | 'sources' | 'typeCounts'>;

export interface Overview {
  info: OverviewInfo;
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

/** The overview's counts and the store's bounds: three set-based queries. */
export async function readOverview(store: Store): Promise<{ overview: Overview; bounds: StoreBounds }> {
  const [t] = await store.all(`SELECT count(*)::BIGINT::VARCHAR AS events,
      count(*) FILTER (WHERE dup_kind = 'redelivery')::BIGINT::VARCHAR AS redelivered,
      count(*) FILTER (WHERE dup_kind = 'conflict')::BIGINT::VARCHAR AS conflicts,
      count(DISTINCT stream)::BIGINT::VARCHAR AS streams, count(DISTINCT type)::BIGINT::VARCHAR AS types,
      epoch_ns(min(ts))::VARCHAR AS lo, epoch_ns(max(ts))::VARCHAR AS hi, max(seq)::VARCHAR AS last_seq,
      (SELECT count(*) FROM rejects)::BIGINT::VARCHAR AS rejects
    FROM events`);
  const sources = await store.all(`SELECT uri, kind, format, preset, events::BIGINT::VARCHAR AS events, rejects::BIGINT::VARCHAR AS rejects,
      bytes::BIGINT::VARCHAR AS bytes, last_ingested_at::VARCHAR AS at FROM sources ORDER BY source_id`);
  const types = await store.all(`SELECT type, count(*)::BIGINT::VARCHAR AS n, string_agg(DISTINCT schema_version::VARCHAR, ',' ORDER BY schema_version::VARCHAR) AS versions
    FROM events GROUP BY type ORDER BY count(*) DESC, type LIMIT ${TYPES_SHOWN}`);
  const firstTs = iso(t?.lo);
  const lastTs = iso(t?.hi);
  const info: OverviewInfo = {
    events: Number(t?.events ?? 0),
    rejects: Number(t?.rejects ?? 0),
    redelivered: Number(t?.redelivered ?? 0),
    conflicts: Number(t?.conflicts ?? 0),
    streams: Number(t?.streams ?? 0),
    types: Number(t?.types ?? 0),
    firstTs,
    lastTs,
    sources: sources.map((s) => ({
      source: String(s.uri), kind: String(s.kind), format: String(s.format), preset: String(s.preset),
      events: Number(s.events), rejects: Number(s.rejects), bytes: Number(s.bytes), lastIngestedAt: String(s.at),
    })),
    typeCounts: types.map((r) => ({ type: String(r.type), events: Number(r.n), versions: String(r.versions) })),
  };
  const lastSeq = typeof t?.last_seq === 'string' ? BigInt(t.last_seq) : null;
  return { overview: { info }, bounds: { firstTs, lastTs, lastSeq } };
}
