-- id: unknown-event-type
-- title: An event type no vocabulary knows
-- severity: warning
-- description: An event's type is in none of the vocabularies in force (the packs that the log
--   speaks, or that --pack names) and has no registered schema.
--
--   Threshold: none; a pack is in force when at least its minShare (half by default) of the
--   events use its vocabulary.
-- rationale: A type nobody declared is read by no projection and checked by no rule: a
--   misspelt type (OrderFiled) or a new event that was never reviewed goes unnoticed.
-- requires: vocabulary
-- uses: audit_events, audit_types, audit_known_types

SELECT e.id AS event_id, e.stream, e.type, evt_iso(e.ts) AS ts,
  'event type ' || e.type || ' is in no vocabulary in force (' || (SELECT string_agg(DISTINCT pack, ', ' ORDER BY pack) FROM audit_known_types) || ')' AS message,
  e.seq
FROM audit_events e
-- The few unknown types first (from the profile of the log), then their events.
WHERE e.type IN (SELECT type FROM audit_types WHERE type NOT IN (SELECT type FROM audit_known_types))
