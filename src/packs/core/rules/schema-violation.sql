-- id: schema-violation
-- title: An event's data breaks its schema
-- severity: error
-- description: An event's data does not match the JSON Schema registered for its type and
--   schema_version: a required field is missing, a field has the wrong JSON type, a value is
--   outside its enum or bounds. An event whose type has schemas but none for its version is
--   reported too. Types without any schema are not checked (see unknown-event-type).
--
--   Threshold: the registered JSON Schema itself (its bounds, enums, patterns); no tolerance.
-- rationale: Consumers, projections and these rules read fields by name and type. Data that
--   breaks its schema is read as missing or wrong, silently, by every consumer at once.
-- requires: schemas
-- uses: audit_schema_problems

SELECT id AS event_id, stream, type, evt_iso(ts) AS ts,
  type || ' v' || schema_version || ': ' || problems AS message,
  seq, schema_version, problems
FROM audit_schema_problems
