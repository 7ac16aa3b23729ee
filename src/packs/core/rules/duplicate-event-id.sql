-- id: duplicate-event-id
-- title: An event was delivered more than once
-- severity: warning
-- description: A later occurrence of an event id with the same content as the first one (a
--   redelivery: same type, stream, rev, time and data). The store keeps both copies; every
--   other rule sees the event once.
--
--   Threshold: none: every later copy is reported.
-- rationale: At-least-once delivery repeats events. A consumer that is not idempotent applies a
--   redelivered event twice (a double fill, a double booking), so each redelivery is shown
--   with the copy it repeats and where it came from.

SELECT e.id AS event_id, e.stream, e.type, evt_iso(e.ts) AS ts,
  e.type || ' ' || e.id || ' delivered again (seq ' || e.seq || ', first at seq ' || e.dup_of || ')' AS message,
  e.seq, e.dup_of AS first_seq, s.uri AS source, e.source_pos
FROM events e
JOIN sources s USING (source_id)
WHERE e.dup_kind = 'redelivery'
