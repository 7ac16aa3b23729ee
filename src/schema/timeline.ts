/**
 * `evtrail schema timeline`: per type, the schema versions seen, with first and last time and
 * counts; the producers still emitting an old version after a newer one appeared (the
 * `source` field, or the stream's category, the part of its name before the first '-', when
 * an event has no source); the versions with no schema in the registry. A report: exit 0.
 * All of it is two aggregate queries in DuckDB (no data is read). `runTimeline` returns it,
 * ./render.ts `renderTimeline` prints it.
 */
import { Store } from '../store/store.js';
import { formatIsoNs } from '../core/time.js';
import { resolveRegistry, versionCounts } from './run-check.js';

export interface TimelineOptions {
  db: string;
  registry?: string;
}

export interface TimelineVersion {
  type: string;
  version: number;
  events: number;
  first: string | null;
  last: string | null;
  producers: number;
  schema: string | null;
}

export interface TimelineLag {
  type: string;
  version: number;
  producer: string;
  producerFrom: string;
  newerVersion: number;
  newerFirstSeen: string | null;
  eventsAfter: number;
  lastOld: string | null;
}

export interface TimelineResult {
  /** The folder given, `packs: <ids>`, or null. */
  registry: string | null;
  /** Whether any schema was found (then a version without one is listed). */
  hasRegistry: boolean;
  versions: TimelineVersion[];
  types: { type: string; versions: Omit<TimelineVersion, 'type'>[] }[];
  lagging: TimelineLag[];
  noSchema: { type: string; version: number; events: number }[];
}

/** ISO 8601 UTC with nine fractional digits, from epoch nanoseconds as text (replay's formatter). */
export function isoFromNs(ns: unknown): string | null {
  return ns === null || ns === undefined ? null : formatIsoNs(BigInt(String(ns)));
}

const PRODUCER = `coalesce(source, split_part(stream, '-', 1))`;

/** SQL: per (type, version), counts, time range and how many producers. */
export const VERSIONS_SQL = `SELECT type, schema_version, count(*) AS events, epoch_ns(min(ts))::VARCHAR AS first_ns, epoch_ns(max(ts))::VARCHAR AS last_ns,
    count(DISTINCT ${PRODUCER}) AS producers
  FROM events GROUP BY ALL ORDER BY type, schema_version`;

/**
 * SQL: per (type, old version, producer), the events emitted after a newer version of the type
 * first appeared (the earliest-appearing of the newer versions), with that version and time.
 */
export const LAGGING_SQL = `WITH v AS (SELECT type, schema_version, min(ts) AS first_ts FROM events WHERE ts IS NOT NULL GROUP BY ALL),
  newer AS (
    SELECT a.type, a.schema_version, min(b.first_ts) AS newer_first, arg_min(b.schema_version, b.first_ts) AS newer_version
    FROM v a JOIN v b ON a.type = b.type AND b.schema_version > a.schema_version GROUP BY ALL
  )
  SELECT e.type, e.schema_version, ${PRODUCER.replaceAll('source', 'e.source').replaceAll('stream', 'e.stream')} AS producer,
    CASE WHEN e.source IS NOT NULL THEN 'source' ELSE 'stream category' END AS producer_from,
    n.newer_version, epoch_ns(n.newer_first)::VARCHAR AS newer_first_ns, count(*) AS events_after, epoch_ns(max(e.ts))::VARCHAR AS last_ns
  FROM events e JOIN newer n ON e.type = n.type AND e.schema_version = n.schema_version
  WHERE e.ts > n.newer_first
  GROUP BY ALL ORDER BY e.type, e.schema_version, events_after DESC, producer`;

export async function runTimeline(flags: TimelineOptions): Promise<TimelineResult> {
  const store = await Store.open(flags.db, { readOnly: true });
  let versionRows, lagRows, counts;
  try {
    counts = await versionCounts(store);
    versionRows = await store.all(VERSIONS_SQL);
    lagRows = await store.all(LAGGING_SQL);
  } finally {
    store.close();
  }
  const reg = await resolveRegistry(flags.registry, counts);
  const hasRegistry = reg.registry.size > 0;
  const schemaOf = (type: string, version: number) => reg.registry.get(type)?.find((e) => e.version === version)?.file ?? null;
  const versions: TimelineVersion[] = versionRows.map((r) => ({
    type: String(r.type),
    version: Number(r.schema_version),
    events: Number(r.events),
    first: isoFromNs(r.first_ns),
    last: isoFromNs(r.last_ns),
    producers: Number(r.producers),
    schema: schemaOf(String(r.type), Number(r.schema_version)),
  }));
  const types = [...new Set(versions.map((v) => v.type))].map((type) => ({ type, versions: versions.filter((v) => v.type === type).map(({ type: _t, ...rest }) => rest) }));
  const lagging = lagRows.map((r) => ({
    type: String(r.type),
    version: Number(r.schema_version),
    producer: String(r.producer),
    producerFrom: String(r.producer_from),
    newerVersion: Number(r.newer_version),
    newerFirstSeen: isoFromNs(r.newer_first_ns),
    eventsAfter: Number(r.events_after),
    lastOld: isoFromNs(r.last_ns),
  }));
  const noSchema = hasRegistry ? versions.filter((v) => v.schema === null).map((v) => ({ type: v.type, version: v.version, events: v.events })) : [];
  const registry = reg.dir ?? (reg.packs.length ? `packs: ${reg.packs.join(', ')}` : null);
  return { registry, hasRegistry, versions, types, lagging, noSchema };
}
