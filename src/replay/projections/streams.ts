/**
 * The `streams` projection, for any log: per stream the number of events, the last revision,
 * type and time, the conflicts replayed, and the state as the JSON merge-patch (RFC 7386) fold
 * of the `data` of its events in seq order, starting from {} (an event without data changes
 * nothing; a null member removes the key; a data that is not an object replaces the state).
 *
 * The fold runs inside DuckDB as list_reduce over json_merge_patch. DuckDB's json_merge_patch
 * keeps null members when the target is not an object (RFC 7386 starts from {} then), so the
 * fold resets such a state to {} before an object patch.
 */

import { mayRespellSql, protectNumbersSql, unprotectNumbersSql } from '../../ingest/exact-json.js';
import { sql, type Fragment } from '../../store/sql.js';

/**
 * Each patch as the fold reads it: json_merge_patch writes numbers back from doubles, so a data
 * holding a number it would re-spell (123.456789012345678901, 1.10) is folded in its protected
 * form (exact-json.ts) and the state unprotected at the end: the state keeps the numbers as
 * stored. Ingest rejects records that hold the mark's text, so no stored string is mistaken.
 */
const EXACT_PATCH = `CASE WHEN ${mayRespellSql('e.data::VARCHAR')} THEN (${protectNumbersSql('e.data::VARCHAR')})::JSON ELSE e.data END`;

/** The folded state with its protected numbers back as they were. */
const exactState = (state: string) => `(${unprotectNumbersSql(`${state}::VARCHAR`)})::JSON`;

export const STREAM_COLUMNS = ['stream', 'events', 'lastRev', 'lastType', 'lastEventAt', 'conflicts', 'state'] as const;

/**
 * The fold holds the data of every stream of the cut in memory at once (an aggregate's lists do
 * not spill to disk): about 1 GB per 5M events. `evtrail replay` therefore folds a large cut in
 * parts (streams split by hash, one query each, see ../query.ts keyRanges); `where` may carry that
 * split. The list is collected unordered and sorted by seq afterwards: an ORDER BY inside the
 * aggregate buffers each group's rows apart, which costs far more memory with many small groups.
 */
export function streamsSql(where: string): string {
  return `
SELECT stream,
  count(*)::INTEGER AS events,
  arg_max_null(rev, seq)::DOUBLE AS lastRev,
  arg_max(type, seq) AS lastType,
  evt_iso(arg_max_null(ts, seq)) AS lastEventAt,
  (count(*) FILTER (WHERE dup_kind = 'conflict'))::INTEGER AS conflicts,
  ${exactState(`list_reduce(
    list_transform(list_sort(coalesce(list({'seq': seq, 'data': data}) FILTER (WHERE data IS NOT NULL), [])), e -> ${EXACT_PATCH}),
    (state, patch) -> json_merge_patch(CASE WHEN json_type(patch) = 'OBJECT' AND json_type(state) <> 'OBJECT' THEN '{}'::JSON ELSE state END, patch),
    '{}'::JSON)`)} AS state
FROM events
WHERE (${where}) AND dup_kind IS DISTINCT FROM 'redelivery' AND stream IS NOT NULL
GROUP BY stream
ORDER BY stream`;
}

export function streamsKeyCondition(key: string): Fragment {
  return sql`stream = ${key}`;
}

const PATCH = `(state, patch) -> json_merge_patch(CASE WHEN json_type(patch) = 'OBJECT' AND json_type(state) <> 'OBJECT' THEN '{}'::JSON ELSE state END, patch)`;

/**
 * Snapshots: the fold of later events (per stream its counts, last values and the data patches
 * in seq order), continued from a snapshot's partial states (`base`: a relation with the columns
 * of streamsMergeSql). The merge-patch fold is a left fold, so starting it from the snapshot's state gives
 * the state of one fold over both.
 */
export function streamsFoldSql(where: string): string {
  return `
  SELECT stream,
    count(*) AS events,
    max(seq) AS last_seq,
    arg_max_null(rev, seq) AS last_rev,
    arg_max(type, seq) AS last_type,
    arg_max_null(ts, seq) AS last_ts,
    count(*) FILTER (WHERE dup_kind = 'conflict') AS conflicts,
    list_transform(list_sort(coalesce(list({'seq': seq, 'data': data}) FILTER (WHERE data IS NOT NULL), [])), e -> ${EXACT_PATCH}) AS patches
  FROM events
  WHERE (${where}) AND dup_kind IS DISTINCT FROM 'redelivery' AND stream IS NOT NULL
  GROUP BY stream`;
}

/** No partial states yet, typed as streamsMergeSql's (the base of a first snapshot). */
export const STREAMS_EMPTY = `(SELECT NULL::VARCHAR AS stream, 0::BIGINT AS events, NULL::BIGINT AS last_seq, NULL::BIGINT AS last_rev,
  NULL::VARCHAR AS last_type, NULL::TIMESTAMP_NS AS last_ts, 0::BIGINT AS conflicts, NULL::JSON AS state WHERE false)`;

export function streamsMergeSql(base: string, fold: string): string {
  return `
  SELECT coalesce(d.stream, s.stream) AS stream,
    coalesce(s.events, 0) + coalesce(d.events, 0) AS events,
    coalesce(d.last_seq, s.last_seq) AS last_seq,
    CASE WHEN d.stream IS NOT NULL THEN d.last_rev ELSE s.last_rev END AS last_rev,
    CASE WHEN d.stream IS NOT NULL THEN d.last_type ELSE s.last_type END AS last_type,
    CASE WHEN d.stream IS NOT NULL THEN d.last_ts ELSE s.last_ts END AS last_ts,
    coalesce(s.conflicts, 0) + coalesce(d.conflicts, 0) AS conflicts,
    CASE WHEN d.stream IS NULL THEN s.state ELSE list_reduce(d.patches, ${PATCH}, coalesce(s.state, '{}'::JSON)) END AS state
  FROM ${base} s FULL JOIN (${fold}) d ON s.stream = d.stream`;
}

export function streamsRowsSql(merged: string): string {
  return `SELECT stream, events::INTEGER AS events, last_rev::DOUBLE AS lastRev, last_type AS lastType, evt_iso(last_ts) AS lastEventAt,
    conflicts::INTEGER AS conflicts, ${exactState('state')} AS state FROM ${merged} ORDER BY stream`;
}
