/** The overview's reads: what `evtrail info` says, and events per time bucket for a sparkline. */
import { storeInfo, type StoreInfo } from '../../../info/info.js';
import type { Store } from '../../../store/store.js';

export interface Overview {
  info: StoreInfo;
  /** Events per equal slice of the log's time range, first to last (read after the rest). */
  buckets?: number[];
}

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

export async function overview(store: Store): Promise<Overview> {
  return { info: await storeInfo(store, 8) };
}
