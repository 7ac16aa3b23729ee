-- id: causation-orphan
-- title: An event names a cause that is not in the log
-- severity: warning
-- description: An event's causation_id names no event in the store (looked up among all its
--   events, not only those in --since/--until).
--
--   Threshold: none, exact: a causation id either names an event in the store or not.
-- rationale: Causation links are how an auditor walks from an effect back to what triggered it.
--   A link to nothing breaks that chain: the cause was lost, never recorded, or the id was
--   written wrong.
-- requires: causation
-- uses: audit_causes

SELECT id AS event_id, stream, type, evt_iso(ts) AS ts,
  type || ' names causation ' || causation_id || ', which is no event in the log' AS message,
  seq, causation_id
FROM audit_causes
WHERE cause_seq IS NULL
