-- view: audit_stream_steps
-- description: The steps inside a stream that are not plain: an event (first occurrence of its
--   id) whose revision is not the one before it plus one, or whose time is earlier than the
--   time of the one before it, in stream order (rev, then seq). One sort of the whole log,
--   shared by the revision and time rules. Columns: seq, id, stream, type, rev, ts of the
--   event; prev_seq, prev_id, prev_type, prev_rev, prev_ts of the one before it. (Exact
--   unless two stream names collide in both of two independent 64-bit hashes.)
-- uses: audit_events

WITH steps AS (
  -- Only numbers go through the sort: the stream as two 64-bit hashes (partition by one,
  -- order by the other, so that two streams sharing the first hash stay apart, and a step
  -- between them is no step), the few steps kept get their text columns after.
  SELECT seq, rev, ts, prev_seq, prev_rev, prev_ts
  FROM (
    SELECT seq, rev, ts, h2,
      lag(seq) OVER w AS prev_seq, lag(rev) OVER w AS prev_rev, lag(ts) OVER w AS prev_ts, lag(h2) OVER w AS prev_h2
    FROM (SELECT seq, rev, ts, hash(stream) AS h1, hash(stream || '#') AS h2 FROM audit_events WHERE stream IS NOT NULL)
    WINDOW w AS (PARTITION BY h1 ORDER BY h2, rev NULLS LAST, seq)
  )
  WHERE prev_h2 = h2 AND (rev - prev_rev <> 1 OR ts < prev_ts)
), named AS (
  SELECT seq, id, stream, type FROM audit_events
  WHERE seq IN (SELECT seq FROM steps UNION ALL SELECT prev_seq FROM steps)
)
SELECT s.seq, e.id, e.stream, e.type, s.rev, s.ts,
  s.prev_seq, p.id AS prev_id, p.type AS prev_type, s.prev_rev, s.prev_ts
FROM steps s
JOIN named e ON e.seq = s.seq
JOIN named p ON p.seq = s.prev_seq
