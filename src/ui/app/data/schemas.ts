/** The schemas screen: every event type and schema version, with when it was seen. */
import { formatIsoNs } from '../../../core/time.js';
import type { Store } from '../../../store/store.js';

export interface SchemaRow {
  type: string;
  version: number;
  events: number;
  first: string | null;
  last: string | null;
}

export interface SchemaTimeline {
  rows: SchemaRow[];
  first: string | null;
  last: string | null;
}

export async function schemaTimeline(store: Store): Promise<SchemaTimeline> {
  const rows = await store.all(`SELECT type, schema_version AS v, count(*)::BIGINT::VARCHAR AS n,
      epoch_ns(min(ts))::VARCHAR AS lo, epoch_ns(max(ts))::VARCHAR AS hi
    FROM events GROUP BY ALL ORDER BY type, v`);
  const iso = (v: unknown) => (typeof v === 'string' ? formatIsoNs(BigInt(v)) : null);
  const out = rows.map((r) => ({ type: String(r.type), version: Number(r.v), events: Number(r.n), first: iso(r.lo), last: iso(r.hi) }));
  const times = out.flatMap((r) => [r.first, r.last]).filter((t): t is string => t !== null).sort();
  return { rows: out, first: times[0] ?? null, last: times.at(-1) ?? null };
}
