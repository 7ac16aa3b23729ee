import type { Store } from '../../store/store.js';

/** The side table of resolved causes: (pos, id) for the rows whose cause was found. */
export const CAUSES_TABLE = 'evt_store_causes';

/**
 * SQL: the causation of a Message DB message whose cause is not in the store, a reference
 * that cannot be taken for an id: `messagedb:<stream>/<position>` (Message DB's own address
 * of a message), else `messagedb:@<global position>`.
 */
export function causeReference(stream: string, position: string, globalPosition: string): string {
  return `CASE WHEN ${stream} IS NOT NULL AND ${position} IS NOT NULL THEN 'messagedb:' || ${stream} || '/' || ${position}
    ELSE 'messagedb:@' || ${globalPosition} END`;
}

/**
 * Message DB names a message's cause by where it is, in the metadata:
 * causationMessageGlobalPosition, or causationMessageStreamName + causationMessagePosition.
 * The envelope's causation_id is the causing message's id: looked up, in SQL, among the rows
 * being ingested and the events this source ingested before. A cause that is not there (written
 * to another store, or not yet read) gets its reference as causation_id (causeReference), so
 * the causation-orphan rule and trace see it; the metadata keeps it too.
 * The result is a side table joined when the events are appended (the mapped rows stay as they
 * are: an UPDATE of them holds every changed value in memory, and ran out of it at 10M rows).
 */
export async function resolveMessageDbCausation(store: Store, mapped: string, sourceId: number): Promise<void> {
  const key = (k: string) => `json_extract_string(meta, '$.${k}')`;
  await store.run(`CREATE OR REPLACE TEMP TABLE evt_cause_refs AS
    SELECT pos, TRY_CAST(${key('causationMessageGlobalPosition')} AS BIGINT) AS gp,
      ${key('causationMessageStreamName')} AS cs, TRY_CAST(${key('causationMessagePosition')} AS BIGINT) AS cp
    FROM ${mapped} WHERE reason IS NULL AND meta IS NOT NULL AND (contains(meta::VARCHAR, '"causationMessage'))`);
  // By global position first (positions are unique in a source: a plain join), then, for the
  // rest, by stream and position in the stream.
  await store.run(`CREATE OR REPLACE TEMP TABLE ${CAUSES_TABLE} AS
    SELECT r.pos, k.id FROM evt_cause_refs r JOIN (
      SELECT position, id FROM ${mapped} WHERE reason IS NULL
      UNION ALL SELECT position, id FROM events WHERE source_id = ${sourceId}
    ) k ON k.position = r.gp`);
  await store.run(`INSERT INTO ${CAUSES_TABLE}
    SELECT r.pos, min(k.id) FROM (SELECT * FROM evt_cause_refs WHERE cs IS NOT NULL AND pos NOT IN (SELECT pos FROM ${CAUSES_TABLE})) r
    JOIN (
      SELECT stream, rev, id FROM ${mapped} WHERE reason IS NULL
      UNION ALL SELECT stream, rev, id FROM events WHERE source_id = ${sourceId} AND dup_kind IS NULL
    ) k ON k.stream = r.cs AND k.rev = r.cp
    GROUP BY r.pos`);
  // A cause not found keeps its reference as the causation: the orphan rule and trace report it.
  await store.run(`INSERT INTO ${CAUSES_TABLE}
    SELECT pos, ${causeReference('cs', 'cp', 'gp')} FROM evt_cause_refs
    WHERE (cs IS NOT NULL OR gp IS NOT NULL) AND pos NOT IN (SELECT pos FROM ${CAUSES_TABLE})`);
  await store.run(`DROP TABLE evt_cause_refs`);
}
