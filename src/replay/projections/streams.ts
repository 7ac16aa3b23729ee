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

export const STREAM_COLUMNS = ['stream', 'events', 'lastRev', 'lastType', 'lastEventAt', 'conflicts', 'state'] as const;

/**
 * The fold holds the data of every stream of the cut in memory at once (an aggregate's lists do
 * not spill to disk): about 1 GB per 5M events. `evtrail replay` therefore folds a large cut in
 * parts (streams split by hash, one query each, see replay-command.ts); `where` may carry that
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
  list_reduce(
    list_transform(list_sort(coalesce(list({'seq': seq, 'data': data}) FILTER (WHERE data IS NOT NULL), [])), e -> e.data),
    (state, patch) -> json_merge_patch(CASE WHEN json_type(patch) = 'OBJECT' AND json_type(state) <> 'OBJECT' THEN '{}'::JSON ELSE state END, patch),
    '{}'::JSON) AS state
FROM events
WHERE (${where}) AND dup_kind IS DISTINCT FROM 'redelivery' AND stream IS NOT NULL
GROUP BY stream
ORDER BY stream`;
}

export function streamsKeyCondition(key: string): string {
  return `stream = '${key.replaceAll("'", "''")}'`;
}
