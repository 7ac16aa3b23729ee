-- id: causation-time-inversion
-- title: An effect is earlier than its cause
-- severity: warning
-- description: An event's time is earlier than the time of the event its causation_id names,
--   by more than the tolerance (clocks of different hosts drift a little).
-- rationale: A cause happens before its effect. An effect stamped earlier means a skewed clock
--   on one of the hosts, and every time-based conclusion about the two (latencies, ordering,
--   as-of state) is wrong.
-- requires: causation, ts
-- uses: audit_causes
-- param tolerance: duration = 1s | how much earlier than its cause an effect may be stamped

SELECT id AS event_id, stream, type, evt_iso(ts) AS ts,
  type || ' is ' || evt_secs(epoch_ns(cause_ts) - epoch_ns(ts)) || ' earlier than its cause ' || cause_type || ' ' || causation_id AS message,
  seq, causation_id AS cause_id, cause_type, evt_iso(cause_ts) AS cause_ts, epoch_ns(cause_ts) - epoch_ns(ts) AS early_ns
FROM audit_causes
WHERE epoch_ns(cause_ts) - epoch_ns(ts) > $tolerance
