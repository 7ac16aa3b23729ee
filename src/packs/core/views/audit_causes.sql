-- view: audit_causes
-- description: The events whose cause is missing or later than they are: every event (first
--   occurrence) that names a causation_id, looked up among all the store's events (a cause
--   before --since is found), kept when no event has that id or the cause's time is after the
--   effect's. One join shared by the causation rules. Columns: seq, id, stream, type, ts,
--   causation_id of the effect; cause_seq, cause_type, cause_ts of the cause (NULL when it is
--   missing).
-- uses: audit_events, audit_all_events

WITH found AS (
  -- Only the ids and numbers go through the join; the few rows kept get their text columns after.
  SELECT e.seq, e.ts, c.seq AS cause_seq, c.ts AS cause_ts
  FROM audit_events e
  LEFT JOIN audit_all_events c ON c.id = e.causation_id
  WHERE e.causation_id IS NOT NULL AND (c.seq IS NULL OR c.ts > e.ts)
), named AS (
  SELECT seq, id, stream, type, causation_id FROM audit_all_events
  WHERE seq IN (SELECT seq FROM found UNION ALL SELECT cause_seq FROM found)
)
SELECT f.seq, e.id, e.stream, e.type, f.ts, e.causation_id,
  f.cause_seq, c.type AS cause_type, f.cause_ts
FROM found f
JOIN named e ON e.seq = f.seq
LEFT JOIN named c ON c.seq = f.cause_seq
