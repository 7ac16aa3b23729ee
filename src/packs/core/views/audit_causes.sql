-- view: audit_causes
-- description: The events whose cause is missing or later than they are: every event (first
--   occurrence) that names a causation_id, looked up among all the store's events (a cause
--   before --since is found), kept when no event has that id or the cause's time is after the
--   effect's. One join shared by the causation rules. Columns: seq, id, stream, type, ts,
--   causation_id of the effect; cause_seq, cause_type, cause_ts of the cause (NULL when it is
--   missing).
-- uses: audit_events, audit_all_events

WITH found AS (
  -- Only numbers go through the join: each id as two independent 64-bit hashes (joining on
  -- the strings costs about twice as much CPU); the few rows kept get their text columns
  -- after. (Exact unless an effect's causation_id and another event's id collide in both.)
  SELECT e.seq, e.ts, c.seq AS cause_seq, c.ts AS cause_ts
  FROM (SELECT seq, ts, hash(causation_id) AS h1, hash(causation_id || '#') AS h2
        FROM audit_events WHERE causation_id IS NOT NULL) e
  LEFT JOIN (SELECT seq, ts, hash(id) AS h1, hash(id || '#') AS h2 FROM audit_all_events) c
    ON c.h1 = e.h1 AND c.h2 = e.h2
  WHERE c.seq IS NULL OR c.ts > e.ts
), named AS (
  SELECT seq, id, stream, type, causation_id FROM audit_all_events
  WHERE seq IN (SELECT seq FROM found UNION ALL SELECT cause_seq FROM found)
)
SELECT f.seq, e.id, e.stream, e.type, f.ts, e.causation_id,
  f.cause_seq, c.type AS cause_type, f.cause_ts
FROM found f
JOIN named e ON e.seq = f.seq
LEFT JOIN named c ON c.seq = f.cause_seq
