import type { Store } from './store.js';

/**
 * The market time zones the store's sources keep (sources.mapping.tz, written at ingest by a
 * preset whose times are an exchange's wall clock, LOBSTER). A time a user gives without an
 * offset is read in that zone when there is one (src/core/time.ts); a store without any keeps
 * UTC. No migration: the mapping column has held each source's preset options since version 1.
 */
export async function storeTimeZones(store: Store): Promise<string[]> {
  const zones = await store.remember('time-zones', async () => {
    const rows = await store.all(`SELECT DISTINCT json_extract_string(mapping, '$.tz') AS tz FROM sources
      WHERE json_extract_string(mapping, '$.tz') IS NOT NULL ORDER BY tz`);
    return rows.map((r) => String(r.tz));
  });
  return [...zones];
}
