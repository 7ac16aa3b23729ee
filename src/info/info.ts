import { formatIsoNs } from '../core/time.js';
import { MACROS_SQL } from '../store/macros.js';
import { sqlString } from '../store/sql.js';
import { ACTS_ON_ORDER, SUBMISSION_TYPE } from '../trace/market.js';
import type { Store } from '../store/store.js';
import { storeTimeZones } from '../store/time-zones.js';
import { formatLocalNs } from '../core/time-zone.js';
import { parseIsoNs } from '../core/time.js';
import { storedVocabulary } from '../store/lens.js';

export interface StoreInfo {
  store: string;
  schemaVersion: number;
  events: number;
  rejects: number;
  redelivered: number;
  conflicts: number;
  streams: number;
  types: number;
  firstTs: string | null;
  lastTs: string | null;
  /**
   * A store whose sources keep an exchange's time zone (LOBSTER): the zone, and the first and
   * last event times on its clock (where users think in it; `--at 10:31` reads that clock too).
   */
  market?: { timeZone: string; firstLocal: string | null; lastLocal: string | null };
  sources: SourceInfo[];
  typeCounts: { type: string; events: number; versions: string }[];
  topStreams: { stream: string | null; events: number }[];
  /** Market-data sources (LOBSTER): the orders acted on without being submitted in the file. */
  marketData: MarketDataInfo[];
  /** The store's vocabulary mapping (src/packs/vocabulary-map.ts), when it has one. */
  vocabulary?: { types: Record<string, string>; fields: Record<string, string>; automatic: { types: string[]; fields: string[] } };
}

export interface MarketDataInfo {
  source: string;
  /** Orders cancelled, deleted or executed in the file but never submitted in it. */
  ordersNotSubmitted: number;
  /** Their messages (LOBSTER types 2-4). */
  messagesNotSubmitted: number;
}

export interface SourceInfo {
  source: string; kind: string; format: string; preset: string; events: number; rejects: number; bytes: number; lastIngestedAt: string;
  /** Event stores: the last position read, and the gaps below it still read again by each ingest. */
  checkpoint: string | null; openGaps: number;
  /** The exchange's time zone its times were read in (LOBSTER); absent for other sources. */
  timeZone?: string;
  /** Records its --skip condition left out (counted at ingest, sources.mapping.skipped); absent when none. */
  skipped?: number;
}

/** The sources as their bookkeeping rows say (no scan of the events: the UI's first screen reads it too). */
export async function sourcesInfo(store: Store): Promise<SourceInfo[]> {
  const rows = await store.all(`SELECT uri, kind, format, preset, events::BIGINT::VARCHAR AS events, rejects::BIGINT::VARCHAR AS rejects,
      bytes::BIGINT::VARCHAR AS bytes, epoch_ns(last_ingested_at)::VARCHAR AS at_ns, checkpoint,
      (SELECT count(*) FROM source_gaps g WHERE g.source_id = s.source_id)::INTEGER AS open_gaps,
      json_extract_string(mapping, '$.tz') AS tz, json_extract_string(mapping, '$.skipped') AS skipped
    FROM sources s ORDER BY source_id`);
  return rows.map((s) => ({
    source: String(s.uri), kind: String(s.kind), format: String(s.format), preset: String(s.preset),
    events: Number(s.events), rejects: Number(s.rejects), bytes: Number(s.bytes), lastIngestedAt: formatIsoNs(BigInt(String(s.at_ns))),
    checkpoint: (s.checkpoint as string | null) ?? null, openGaps: Number(s.open_gaps),
    ...(typeof s.tz === 'string' ? { timeZone: s.tz } : {}),
    ...(s.skipped != null ? { skipped: Number(s.skipped) } : {}),
  }));
}

/** The store's totals: one pass over the events (what the audit report's scope needs). */
export type StoreTotals = Pick<StoreInfo, 'events' | 'rejects' | 'redelivered' | 'conflicts' | 'streams' | 'types' | 'firstTs' | 'lastTs'>;

export async function storeTotals(store: Store): Promise<StoreTotals> {
  await store.run(MACROS_SQL);
  const totals = (await store.all(`SELECT
      count(*) AS events,
      count(*) FILTER (WHERE dup_kind = 'redelivery') AS redelivered,
      count(*) FILTER (WHERE dup_kind = 'conflict') AS conflicts,
      count(DISTINCT stream) AS streams, count(DISTINCT type) AS types,
      evt_iso(min(ts)) AS first_ts, evt_iso(max(ts)) AS last_ts,
      (SELECT count(*) FROM rejects) AS rejects
    FROM events`))[0]!;
  return {
    events: Number(totals.events),
    rejects: Number(totals.rejects),
    redelivered: Number(totals.redelivered),
    conflicts: Number(totals.conflicts),
    streams: Number(totals.streams),
    types: Number(totals.types),
    firstTs: (totals.first_ts as string | null) ?? null,
    lastTs: (totals.last_ts as string | null) ?? null,
  };
}

/**
 * Per LOBSTER source: the cancels, deletions and executions of orders the file never shows
 * submitted (entered before its window, or outside its levels). One grouping of the source's
 * events by order id; no work at all on a store without such a source.
 */
export async function marketDataInfo(store: Store): Promise<MarketDataInfo[]> {
  const sources = await store.all(`SELECT source_id, uri FROM sources WHERE preset = 'lobster' ORDER BY source_id`);
  if (sources.length === 0) return [];
  const acts = ACTS_ON_ORDER.map(sqlString).join(', ');
  const rows = await store.all(`WITH orders AS (
      SELECT source_id, json_extract_string(data, '$.orderId') AS order_id,
        bool_or(type = ${sqlString(SUBMISSION_TYPE)}) AS submitted, count(*) FILTER (WHERE type IN (${acts})) AS acting
      FROM events WHERE dup_kind IS NULL AND source_id IN (${sources.map((s) => Number(s.source_id)).join(', ')})
      GROUP BY ALL)
    SELECT source_id, count(*) FILTER (WHERE NOT submitted AND acting > 0) AS orders, coalesce(sum(acting) FILTER (WHERE NOT submitted), 0) AS messages
    FROM orders WHERE order_id IS NOT NULL AND order_id <> '0' GROUP BY source_id`);
  return sources.map((s) => {
    const r = rows.find((x) => Number(x.source_id) === Number(s.source_id));
    return { source: String(s.uri), ordersNotSubmitted: Number(r?.orders ?? 0), messagesNotSubmitted: Number(r?.messages ?? 0) };
  });
}

/** What the store holds, in a handful of set-based queries. */
export async function storeInfo(store: Store, topN = 20): Promise<StoreInfo> {
  const totals = await storeTotals(store);
  const types = await store.all(`SELECT type, count(*) AS n, string_agg(DISTINCT schema_version::VARCHAR, ',' ORDER BY schema_version::VARCHAR) AS versions
    FROM events GROUP BY type ORDER BY n DESC, type LIMIT ${topN}`);
  const streams = await store.all(`SELECT stream, count(*) AS n FROM events GROUP BY stream ORDER BY n DESC, stream LIMIT 5`);
  const zones = await storeTimeZones(store);
  const vocabulary = await storedVocabulary(store);
  const local = (iso: string | null, zone: string) => (iso === null ? null : formatLocalNs(parseIsoNs(iso)!, zone));
  return {
    store: store.path,
    schemaVersion: await store.schemaVersion(),
    ...totals,
    ...(zones.length === 1 ? { market: { timeZone: zones[0]!, firstLocal: local(totals.firstTs, zones[0]!), lastLocal: local(totals.lastTs, zones[0]!) } } : {}),
    sources: await sourcesInfo(store),
    typeCounts: types.map((t) => ({ type: String(t.type), events: Number(t.n), versions: String(t.versions) })),
    topStreams: streams.map((s) => ({ stream: (s.stream as string | null) ?? null, events: Number(s.n) })),
    marketData: await marketDataInfo(store),
    ...(vocabulary ? { vocabulary: { types: vocabulary.types, fields: vocabulary.fields, automatic: vocabulary.automatic } } : {}),
  };
}
