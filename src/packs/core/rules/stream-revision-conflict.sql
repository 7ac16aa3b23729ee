-- id: stream-revision-conflict
-- title: Two different events at one revision
-- severity: error
-- description: Two events with different ids share a stream and a revision. The later one (in
--   replay order) is reported, with the id of the other. (One id seen twice with different
--   content is conflicting-event-id's, not this rule's.)
--
--   Threshold: none, exact.
-- rationale: A revision is one slot in a stream: optimistic concurrency lets one writer win it.
--   Two events at one revision mean two writers both won, and the stream forked.
-- requires: rev
-- uses: audit_stream_steps

SELECT id AS event_id, stream, type, evt_iso(ts) AS ts,
  'rev ' || rev || ' is taken twice: by ' || prev_type || ' ' || prev_id || ' and by ' || type || ' ' || id AS message,
  seq, rev, prev_id AS other_event_id, prev_seq AS other_seq
FROM audit_stream_steps
WHERE rev = prev_rev
