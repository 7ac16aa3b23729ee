-- id: conflicting-event-id
-- title: One event id with two different contents
-- severity: error
-- description: A later occurrence of an event id whose content differs from the first one
--   (type, stream, rev, time or data). The rules see the first occurrence; this rule reports
--   the other, with the fields (and data keys) that differ.
--
--   Threshold: none, exact: any difference in type, stream, rev, time or data counts.
-- rationale: An event id names one fact. Two contents under one id mean a producer reused an
--   id or rewrote history: consumers that deduplicate by id keep whichever came first and
--   silently drop the other.

SELECT e.id AS event_id, e.stream, e.type, evt_iso(e.ts) AS ts,
  e.type || ' ' || e.id || ' seen again at seq ' || e.seq || ' with a different ' || d.differs || ' than at seq ' || f.seq AS message,
  e.seq, f.seq AS first_seq, d.differs
FROM events e
-- The first occurrences are picked by seq before the join, so that the join reads (and the
-- scan decompresses) only their rows, not every event's.
JOIN (SELECT * FROM events WHERE seq IN (SELECT dup_of FROM events WHERE dup_kind = 'conflict')) f ON f.seq = e.dup_of
CROSS JOIN LATERAL (
  SELECT concat_ws(', ',
    CASE WHEN e.type IS DISTINCT FROM f.type THEN 'type' END,
    CASE WHEN e.stream IS DISTINCT FROM f.stream THEN 'stream' END,
    CASE WHEN e.rev IS DISTINCT FROM f.rev THEN 'rev' END,
    CASE WHEN e.ts IS DISTINCT FROM f.ts THEN 'ts' END,
    CASE WHEN e.data::VARCHAR IS DISTINCT FROM f.data::VARCHAR THEN
      coalesce(nullif(array_to_string(list_transform(
        list_filter(list_distinct(coalesce(json_keys(e.data), []) || coalesce(json_keys(f.data), [])),
                    k -> json_extract(e.data, '$."' || k || '"') IS DISTINCT FROM json_extract(f.data, '$."' || k || '"')),
        k -> 'data.' || k), ', '), ''), 'data')
    END) AS differs
) d
WHERE e.dup_kind = 'conflict'
